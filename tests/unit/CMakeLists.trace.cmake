# Unit tests of evidence/: no traffic, no namespaces.
add_executable(trace_unit_test "${CMAKE_CURRENT_LIST_DIR}/trace_unit_test.cpp")
target_link_libraries(trace_unit_test PRIVATE copylab_evidence GTest::gtest_main copylab_warnings)
gtest_discover_tests(trace_unit_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
