# The kernel lab as a test: boots Debian's stock 6.1 kernel under qemu with copyprobe.ko and
# copylab's own binaries from ${COPYLAB_BIN_DIR}, and fails if any guest assertion fails, the guest
# reports BUG/WARNING/Oops, or qemu times out. Packages are downloaded once (apt-get download) into
# $COPYLAB_LAB_CACHE or ~/.cache/copylab-lab. Exit 77 (skipped) when no traffic experiment could run
# because copylab's tools are not built. Report: <build>/kmod-lab/report.txt.
add_test(NAME lab_kernel
         COMMAND "${PROJECT_SOURCE_DIR}/kmod/lab/run.sh" --bin-dir "${COPYLAB_BIN_DIR}"
                 --work-dir "${CMAKE_BINARY_DIR}/kmod-lab" --quiet)
set_tests_properties(lab_kernel PROPERTIES LABELS "lab;integration" TIMEOUT 900
                     SKIP_RETURN_CODE 77)
# The same with Debian 13's 6.12 (tracepoint ledger without SKIPs, the virtio-net NIC pair and its
# zerocopy experiment); about twice as long as 6.1 under TCG. Report: <build>/kmod-lab-6.12/report.txt.
add_test(NAME lab_kernel_6_12
         COMMAND "${PROJECT_SOURCE_DIR}/kmod/lab/run.sh" --kernel 6.12 --bin-dir "${COPYLAB_BIN_DIR}"
                 --work-dir "${CMAKE_BINARY_DIR}/kmod-lab-6.12" --timeout 1500 --quiet)
set_tests_properties(lab_kernel_6_12 PROPERTIES LABELS "lab;integration" TIMEOUT 1800
                     SKIP_RETURN_CODE 77)
# Zero-copy proven on a driver that binds it: the 7.3 guest (Debian 13 backports), its zerocopy
# experiment only (socket, AF_XDP copy mode and AF_XDP zero-copy on the same virtio-net NICs, every
# AF_XDP copy site 0 when bound zero-copy, N when copy mode).
add_test(NAME lab_kernel_7_3_zerocopy
         COMMAND "${PROJECT_SOURCE_DIR}/kmod/lab/run.sh" --kernel 7.3 --only zerocopy
                 --bin-dir "${COPYLAB_BIN_DIR}" --work-dir "${CMAKE_BINARY_DIR}/kmod-lab-7.3"
                 --timeout 1200 --quiet)
set_tests_properties(lab_kernel_7_3_zerocopy PROPERTIES LABELS "lab;integration" TIMEOUT 1500
                     SKIP_RETURN_CODE 77)

# `copylab compare --backend kmod` / `copylab doctor` on this host: one-line refusal (exit 3,
# nothing left behind) where the kernel has no modules/kprobes; the backend listed by doctor.
add_executable(kmod_backend_test "${CMAKE_CURRENT_LIST_DIR}/kmod_backend_test.cpp"
                                 "${CMAKE_CURRENT_LIST_DIR}/tool_harness.cpp")
target_link_libraries(kmod_backend_test PRIVATE copylab_pathspec copylab_netns copylab_common GTest::gtest_main
                      copylab_warnings)
target_compile_definitions(kmod_backend_test PRIVATE COPYLAB_TEST_BIN_DIR="${COPYLAB_BIN_DIR}")
gtest_discover_tests(kmod_backend_test PROPERTIES LABELS integration RUN_SERIAL TRUE
                     DISCOVERY_TIMEOUT 30 TIMEOUT 120)

# copyprobe.ko built with Kbuild the way `--backend kmod` builds it, against the lab's Debian
# headers (fetched into the lab cache when missing): the make, the cache, the build.log error.
add_executable(kmod_build_test "${CMAKE_CURRENT_LIST_DIR}/kmod_build_test.cpp")
target_link_libraries(kmod_build_test PRIVATE copylab_kmod copylab_netns copylab_common
                      GTest::gtest_main copylab_warnings)
target_compile_definitions(kmod_build_test PRIVATE COPYLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(kmod_build_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30
                     TIMEOUT 600)
