# The kernel lab's accelerator choice (kmod/lab/lib/qemu.sh): KVM when /dev/kvm is usable, TCG when
# it is not or when qemu cannot start with it. lab_accel_fallback: lab_boot against a fake qemu and
# a stand-in KVM device (seconds, no privileges). lab_accel_fallback_boot: the real lab
# (--only env) with qemu behind a wrapper that fails "-accel kvm" the way a host with a broken KVM
# does; the guest must boot under TCG and the report say why. Exit 77 (skipped) when the lab
# cannot run here.
set(COPYLAB_LAB_ACCEL_TEST "${CMAKE_CURRENT_LIST_DIR}/lab_accel/lab_accel_test.sh")
add_test(NAME lab_accel_fallback COMMAND "${COPYLAB_LAB_ACCEL_TEST}" functions)
set_tests_properties(lab_accel_fallback PROPERTIES LABELS "lab;unit" TIMEOUT 600)
add_test(NAME lab_accel_fallback_boot
         COMMAND "${COPYLAB_LAB_ACCEL_TEST}" boot "${COPYLAB_BIN_DIR}"
                 "${CMAKE_BINARY_DIR}/kmod-lab-accel")
set_tests_properties(lab_accel_fallback_boot PROPERTIES LABELS "lab;integration" TIMEOUT 900
                     SKIP_RETURN_CODE 77)
