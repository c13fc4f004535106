# Unit tests of latency/ and report/ (owned by the latency helper): no kernel needed.
add_executable(latency_histogram_test "${CMAKE_CURRENT_LIST_DIR}/latency_histogram_test.cpp")
target_link_libraries(latency_histogram_test PRIVATE copylab_latency_core GTest::gtest_main
                      copylab_warnings)
gtest_discover_tests(latency_histogram_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

add_executable(latency_report_test "${CMAKE_CURRENT_LIST_DIR}/latency_report_test.cpp")
target_link_libraries(latency_report_test PRIVATE copylab_latency copylab_report GTest::gtest_main
                      copylab_warnings)
gtest_discover_tests(latency_report_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
