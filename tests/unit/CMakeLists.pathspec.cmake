# Unit tests of pathspec/: PathSpec's checks and the tools' argv factory, each generated argv
# parsed back by the tools' own option set. No kernel state.
add_executable(path_spec_test "${CMAKE_CURRENT_LIST_DIR}/path_spec_test.cpp")
target_link_libraries(path_spec_test PRIVATE copylab_pathspec copylab_tool_main copylab_xdp_options
                      copylab_sock_options GTest::gtest_main copylab_warnings)
gtest_discover_tests(path_spec_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
