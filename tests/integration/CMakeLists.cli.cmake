# The command line every copylab program shares (common options, help, usage, --mode names),
# run as a user runs it; the --mode runs use real namespaces and XDP programs.
add_executable(cli_common_test "${CMAKE_CURRENT_LIST_DIR}/cli_common_test.cpp"
                               "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(cli_common_test PRIVATE copylab_pathspec copylab_netns copylab_common GTest::gtest_main
                      copylab_warnings)
target_compile_definitions(cli_common_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
add_dependencies(cli_common_test copylab xdp_sender xdp_receiver sock_sender sock_receiver)
gtest_discover_tests(cli_common_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 600)
