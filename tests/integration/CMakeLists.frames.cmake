# Crafted frames (bad checksums) sent with AF_PACKET to the AF_XDP receiver tool.
add_executable(crafted_frames_test "${CMAKE_CURRENT_LIST_DIR}/crafted_frames_test.cpp"
                                   "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(crafted_frames_test PRIVATE copylab_pathspec copylab_netns copylab_packet copylab_common
                      GTest::gtest_main copylab_warnings)
target_compile_definitions(crafted_frames_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
gtest_discover_tests(crafted_frames_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 300)
