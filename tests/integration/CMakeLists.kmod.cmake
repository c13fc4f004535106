# owned by the kmod component
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

# On this kind of host (no modules, no kprobes) the host backend must refuse with a reason; on a
# host that has both it must report them available. Either way it prints one verdict line.
add_test(NAME lab_host_backend_check
         COMMAND "${PROJECT_SOURCE_DIR}/kmod/host_backend.sh" check)
set_tests_properties(lab_host_backend_check PROPERTIES LABELS "lab"
  PASS_REGULAR_EXPRESSION "^kmod backend: (available|unavailable: [^\n]+\\. Fix: [^\n]+)")
