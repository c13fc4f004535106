# The DPDK datapath's tools (dpdk_sender, dpdk_receiver) against the AF_XDP tools and each other,
# bad input, signals and SIGKILL; skipped with the reason where the DPDK datapath is not built.
add_executable(dpdk_datapath_test "${CMAKE_CURRENT_LIST_DIR}/dpdk_datapath_test.cpp"
                                  "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(dpdk_datapath_test PRIVATE copylab_pathspec copylab_netns copylab_common
                      GTest::gtest_main copylab_warnings)
if(TARGET dpdk_receiver)
  target_compile_definitions(dpdk_datapath_test PRIVATE COPYLAB_TEST_HAVE_DPDK=1)
  add_dependencies(dpdk_datapath_test dpdk_sender dpdk_receiver xdp_sender xdp_receiver copylab)
else()
  target_compile_definitions(dpdk_datapath_test PRIVATE COPYLAB_TEST_HAVE_DPDK=0)
endif()
target_compile_definitions(dpdk_datapath_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
gtest_discover_tests(dpdk_datapath_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 300)
