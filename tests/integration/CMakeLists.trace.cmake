# Integration tests of trace/ (owned by the trace helper): real namespaces, real traffic, real
# BPF programs; each test makes uniquely named namespaces and checks nothing is left attached.
add_executable(trace_crosscheck_test
  "${CMAKE_CURRENT_LIST_DIR}/trace_crosscheck_test.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/trace_test_support.cpp")
target_link_libraries(trace_crosscheck_test PRIVATE copylab_trace copylab_sock copylab_xdp GTest::gtest_main
                      copylab_warnings)
target_include_directories(trace_crosscheck_test PRIVATE "${CMAKE_CURRENT_LIST_DIR}")
gtest_discover_tests(trace_crosscheck_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30)

add_executable(trace_afxdp_test
  "${CMAKE_CURRENT_LIST_DIR}/trace_afxdp_test.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/trace_test_support.cpp")
target_link_libraries(trace_afxdp_test PRIVATE copylab_trace copylab_sock copylab_xdp
                      GTest::gtest_main copylab_warnings)
target_include_directories(trace_afxdp_test PRIVATE "${CMAKE_CURRENT_LIST_DIR}")
gtest_discover_tests(trace_afxdp_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30)

add_executable(trace_udp_burst "${CMAKE_CURRENT_LIST_DIR}/trace_udp_burst.cpp")
target_link_libraries(trace_udp_burst PRIVATE copylab_packet copylab_warnings)

add_executable(trace_cli_test
  "${CMAKE_CURRENT_LIST_DIR}/trace_cli_test.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/trace_test_support.cpp")
target_link_libraries(trace_cli_test PRIVATE copylab_trace copylab_sock copylab_xdp
                      GTest::gtest_main copylab_warnings)
target_include_directories(trace_cli_test PRIVATE "${CMAKE_CURRENT_LIST_DIR}")
target_compile_definitions(trace_cli_test PRIVATE
  TRACE_CLI_PATH="$<TARGET_FILE:copylab>"
  TRACE_UDP_BURST_PATH="$<TARGET_FILE:trace_udp_burst>")
add_dependencies(trace_cli_test copylab trace_udp_burst)
# `hist --path` runs copylab's own sender/receiver binaries (bin dir of copylab).
target_compile_definitions(trace_cli_test PRIVATE
  SOCK_SENDER_PATH="${COPYLAB_BIN_DIR}/sock_sender" XDP_SENDER_PATH="${COPYLAB_BIN_DIR}/xdp_sender")
foreach(tool sock_sender sock_receiver xdp_sender xdp_receiver)
  if(TARGET ${tool})
    add_dependencies(trace_cli_test ${tool})
  endif()
endforeach()
gtest_discover_tests(trace_cli_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30)

# Not a test: `trace_overhead_bench [reps]` prints the cross-check's throughput cost as JSON.
add_executable(trace_overhead_bench
  "${CMAKE_CURRENT_LIST_DIR}/trace_overhead_bench.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/trace_test_support.cpp")
target_link_libraries(trace_overhead_bench PRIVATE copylab_trace copylab_sock copylab_xdp
                      copylab_warnings)
target_include_directories(trace_overhead_bench PRIVATE "${CMAKE_CURRENT_LIST_DIR}")
