# Unit tests of umem/ and xdp/. No traffic; the UMEM test registers
# a real UMEM (root), the option tests touch no kernel state.
add_executable(umem_allocator_test "${CMAKE_CURRENT_LIST_DIR}/umem_allocator_test.cpp")
target_link_libraries(umem_allocator_test PRIVATE copylab_umem GTest::gtest_main copylab_warnings)
gtest_discover_tests(umem_allocator_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)

add_executable(xdp_options_test "${CMAKE_CURRENT_LIST_DIR}/xdp_options_test.cpp")
target_link_libraries(xdp_options_test PRIVATE copylab_xdp_options GTest::gtest_main copylab_warnings)
gtest_discover_tests(xdp_options_test PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
