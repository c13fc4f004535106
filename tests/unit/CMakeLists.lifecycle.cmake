# Unit tests of the run records and stale-state reclaim (common/run_registry, common/stale_state).
add_executable(run_registry_test "${CMAKE_CURRENT_LIST_DIR}/run_registry_test.cpp")
target_link_libraries(run_registry_test PRIVATE copylab_common GTest::gtest_main copylab_warnings)
gtest_discover_tests(run_registry_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
