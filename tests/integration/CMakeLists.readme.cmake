# The README's manual flow, run step by step as written (names replaced by unique ones).
add_executable(readme_flow_test "${CMAKE_CURRENT_LIST_DIR}/readme_flow_test.cpp")
target_link_libraries(readme_flow_test PRIVATE copylab_netns copylab_common GTest::gtest_main
                      copylab_warnings)
target_compile_definitions(readme_flow_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}"
                           COPYLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(readme_flow_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 420)
