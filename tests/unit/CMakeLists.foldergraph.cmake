# The folder graph of the source tree has no cycle.
add_executable(folder_graph_test "${CMAKE_CURRENT_LIST_DIR}/folder_graph_test.cpp"
                                 "${CMAKE_CURRENT_LIST_DIR}/folder_graph.cpp")
target_link_libraries(folder_graph_test PRIVATE GTest::gtest_main copylab_warnings)
target_compile_definitions(folder_graph_test PRIVATE COPYLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(folder_graph_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
