# Nothing left behind: every tool and subcommand ended by a closed stdout and by SIGKILL while it
# holds kernel state, then checked for leftovers and reclaimed (common/run_registry,
# common/stale_state, `copylab cleanup`).
add_executable(lifecycle_test "${CMAKE_CURRENT_LIST_DIR}/lifecycle_test.cpp"
                              "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(lifecycle_test PRIVATE copylab_pathspec copylab_netns copylab_common GTest::gtest_main
                      copylab_warnings)
target_compile_definitions(lifecycle_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
add_dependencies(lifecycle_test copylab xdp_receiver xdp_sender sock_receiver sock_sender)
gtest_discover_tests(lifecycle_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 600)
