# Integration tests of umem/ and xdp/: real namespaces and veth
# (netns/ Topology), real XDP programs and XSK sockets, real frames; each test removes all it made.
add_executable(afxdp_datapath_test "${CMAKE_CURRENT_LIST_DIR}/afxdp_datapath_test.cpp")
target_link_libraries(afxdp_datapath_test PRIVATE copylab_xdp copylab_netns GTest::gtest_main
                      copylab_warnings)
gtest_discover_tests(afxdp_datapath_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30)
