# Integration tests of latency/: real namespaces, real XDP
# programs, real ping-pongs; the suite makes its own uniquely named namespace pair.
add_executable(latency_pingpong_test "${CMAKE_CURRENT_LIST_DIR}/latency_pingpong_test.cpp"
               "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(latency_pingpong_test PRIVATE copylab_pathspec copylab_commands copylab_latency copylab_report GTest::gtest_main
                      copylab_warnings)
# The output-width test runs the copylab binary the way a user does.
target_compile_definitions(latency_pingpong_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
gtest_discover_tests(latency_pingpong_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30
                     RUN_SERIAL TRUE)


# `copylab latency --modes dpdk-spin` end to end (skips where the DPDK tools are not built).
add_executable(latency_dpdk_test "${CMAKE_CURRENT_LIST_DIR}/latency_dpdk_test.cpp"
               "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(latency_dpdk_test PRIVATE copylab_pathspec copylab_latency GTest::gtest_main
                      copylab_warnings)
target_compile_definitions(latency_dpdk_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
gtest_discover_tests(latency_dpdk_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30
                     RUN_SERIAL TRUE)
