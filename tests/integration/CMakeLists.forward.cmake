# The middle box A -> M -> B: xdp_forwarder (shared UMEM) and sock_forwarder between the
# existing sender and receiver on the three-namespace topology.
add_executable(forwarder_test "${CMAKE_CURRENT_LIST_DIR}/forwarder_test.cpp"
                              "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(forwarder_test PRIVATE copylab_pathspec copylab_netns copylab_common
                      GTest::gtest_main copylab_warnings)
target_compile_definitions(forwarder_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
add_dependencies(forwarder_test xdp_forwarder sock_forwarder xdp_sender sock_sender sock_receiver)
gtest_discover_tests(forwarder_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 600)

# `copylab forward`: the copy ledger in M against M's own counters, and bad input.
add_executable(forward_command_test "${CMAKE_CURRENT_LIST_DIR}/forward_command_test.cpp"
                                    "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(forward_command_test PRIVATE copylab_pathspec copylab_netns copylab_common
                      GTest::gtest_main copylab_warnings)
target_compile_definitions(forward_command_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
add_dependencies(forward_command_test copylab xdp_forwarder sock_forwarder xdp_sender sock_receiver)
gtest_discover_tests(forward_command_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 600)
