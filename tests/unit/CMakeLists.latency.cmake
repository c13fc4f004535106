# Unit tests of latency/ and report/: no kernel needed.
add_executable(latency_histogram_test "${CMAKE_CURRENT_LIST_DIR}/latency_histogram_test.cpp")
target_link_libraries(latency_histogram_test PRIVATE copylab_latency_core GTest::gtest_main
                      copylab_warnings)
gtest_discover_tests(latency_histogram_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

add_executable(latency_report_test "${CMAKE_CURRENT_LIST_DIR}/latency_report_test.cpp")
target_link_libraries(latency_report_test PRIVATE copylab_latency copylab_report GTest::gtest_main
                      copylab_warnings)
gtest_discover_tests(latency_report_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

add_executable(latency_clock_test "${CMAKE_CURRENT_LIST_DIR}/latency_clock_test.cpp")
target_link_libraries(latency_clock_test PRIVATE copylab_latency_core GTest::gtest_main
                      copylab_warnings)
gtest_discover_tests(latency_clock_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

# sock/rx_timestamp on kernel-produced control messages: a loopback pair in a private network
# namespace (needs CAP_SYS_ADMIN; skips without it).
if(TARGET copylab_sock)
  add_executable(sock_rx_timestamp_test "${CMAKE_CURRENT_LIST_DIR}/sock_rx_timestamp_test.cpp")
  target_link_libraries(sock_rx_timestamp_test PRIVATE copylab_sock GTest::gtest_main
                        copylab_warnings)
  gtest_discover_tests(sock_rx_timestamp_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
endif()

# run_ping's warm-up waiting for the first kernel RX timestamps, against a stand-in datapath.
add_executable(latency_warmup_test "${CMAKE_CURRENT_LIST_DIR}/latency_warmup_test.cpp")
target_link_libraries(latency_warmup_test PRIVATE copylab_latency GTest::gtest_main
                      copylab_warnings)
gtest_discover_tests(latency_warmup_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
