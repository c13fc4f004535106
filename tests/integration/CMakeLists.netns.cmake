# Integration tests of netns/ and sock/: real namespaces, real veth,
# real packets; each test makes uniquely named namespaces and removes them.
add_executable(netns_topology_test "${CMAKE_CURRENT_LIST_DIR}/netns_topology_test.cpp")
target_link_libraries(netns_topology_test PRIVATE copylab_netns GTest::gtest_main copylab_warnings)
gtest_discover_tests(netns_topology_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30)

add_executable(sock_datapath_test "${CMAKE_CURRENT_LIST_DIR}/sock_datapath_test.cpp")
target_link_libraries(sock_datapath_test PRIVATE copylab_sock GTest::gtest_main copylab_warnings)
gtest_discover_tests(sock_datapath_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30)
