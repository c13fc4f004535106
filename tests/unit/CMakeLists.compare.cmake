# Unit tests of harness/ and report/: what `copylab compare` concludes from its counters, without a kernel.
add_executable(compare_unit_test "${CMAKE_CURRENT_LIST_DIR}/compare_unit_test.cpp")
target_link_libraries(compare_unit_test PRIVATE copylab_commands copylab_harness copylab_report GTest::gtest_main copylab_warnings)
gtest_discover_tests(compare_unit_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
