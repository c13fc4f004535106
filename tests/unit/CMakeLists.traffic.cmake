# Unit tests of traffic/: the result JSON the sender and receiver tools write.
add_executable(receiver_json_test "${CMAKE_CURRENT_LIST_DIR}/receiver_json_test.cpp")
target_link_libraries(receiver_json_test PRIVATE copylab_traffic GTest::gtest_main copylab_warnings)
target_compile_definitions(receiver_json_test PRIVATE COPYLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(receiver_json_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

# The drain after a harness's stop file, shared by the receivers and the forwarders.
add_executable(stop_file_drain_test "${CMAKE_CURRENT_LIST_DIR}/stop_file_drain_test.cpp")
target_link_libraries(stop_file_drain_test PRIVATE copylab_traffic GTest::gtest_main copylab_warnings)
gtest_discover_tests(stop_file_drain_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
