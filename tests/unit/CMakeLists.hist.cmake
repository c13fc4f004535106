# Unit tests of the hist trigger pieces: parsing the kernel's hist text,
# the enable_hist/disable_hist window filter. No kernel state.
add_executable(hist_trigger_unit_test "${CMAKE_CURRENT_LIST_DIR}/hist_trigger_unit_test.cpp")
target_link_libraries(hist_trigger_unit_test PRIVATE copylab_evidence GTest::gtest_main copylab_warnings)
gtest_discover_tests(hist_trigger_unit_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
