# Bad input to every tool and subcommand, as a table: exit code, one stderr line naming the fix,
# and nothing made, left or sent (namespaces, XDP, files, packets).
add_executable(bad_input_test "${CMAKE_CURRENT_LIST_DIR}/bad_input_test.cpp"
               "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(bad_input_test PRIVATE copylab_pathspec copylab_netns copylab_common GTest::gtest_main
                      copylab_warnings)
target_compile_definitions(bad_input_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
gtest_discover_tests(bad_input_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 120)
