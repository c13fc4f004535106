# Unit tests of kmod/ (no module is loaded): /proc/copyprobe parsing on text from a kernel lab run,
# evidence lines, verdict rows, module parameters, availability decisions, .ko inspection.
add_executable(kmod_unit_test "${CMAKE_CURRENT_LIST_DIR}/kmod_unit_test.cpp")
target_link_libraries(kmod_unit_test PRIVATE copylab_kmod GTest::gtest_main copylab_warnings)
gtest_discover_tests(kmod_unit_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
