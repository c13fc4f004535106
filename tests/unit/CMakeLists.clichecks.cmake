# Unit tests of the shared option checks and result writer (common/cli_checks, cli/option_checks,
# common/output_file), the help format and the traffic options.
add_executable(cli_checks_test "${CMAKE_CURRENT_LIST_DIR}/cli_checks_test.cpp")
target_link_libraries(cli_checks_test PRIVATE copylab_tool_main GTest::gtest_main copylab_warnings)
gtest_discover_tests(cli_checks_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
