# AF_XDP failure cases (fill-ring starvation, RX ring full, completion backlog, invalid TX
# descriptors) with exact kernel accounting; real namespaces and sockets, driven in lock-step.
add_executable(afxdp_failure_test "${CMAKE_CURRENT_LIST_DIR}/afxdp_failure_test.cpp"
                                  "${CMAKE_CURRENT_LIST_DIR}/xsk_lockstep.cpp")
target_link_libraries(afxdp_failure_test PRIVATE copylab_xdp copylab_netns GTest::gtest_main
                      copylab_warnings)
gtest_discover_tests(afxdp_failure_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 120)
