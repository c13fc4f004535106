# Unit tests of netns/ and sock/.
add_executable(netns_test "${CMAKE_CURRENT_LIST_DIR}/netns_test.cpp")
target_link_libraries(netns_test PRIVATE copylab_netns GTest::gtest_main copylab_warnings)
gtest_discover_tests(netns_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

add_executable(sock_options_test "${CMAKE_CURRENT_LIST_DIR}/sock_options_test.cpp")
target_link_libraries(sock_options_test PRIVATE copylab_sock_options GTest::gtest_main copylab_warnings)
gtest_discover_tests(sock_options_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

# common/child_process and common/ready_file: spawning, holding, capturing, stopping, ready files.
add_executable(child_process_test "${CMAKE_CURRENT_LIST_DIR}/child_process_test.cpp")
target_link_libraries(child_process_test PRIVATE copylab_common GTest::gtest_main copylab_warnings)
gtest_discover_tests(child_process_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
