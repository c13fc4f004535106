#!/usr/bin/env bash
# A COPYLAB_LAB_QEMU_WRAPPER that makes qemu fail with KVM the way it does on a host whose CPU model
# qemu cannot program (stderr lines as qemu 7.2 prints them, then SIGABRT from the assertion), and
# runs the real qemu for any other accelerator. Each call appends its arguments to
# $LAB_ACCEL_TEST_CALLS when set.
# usage: kvm_fails_wrapper.sh QEMU ARGS...
[[ -n ${LAB_ACCEL_TEST_CALLS:-} ]] && echo "${*:2}" >>"$LAB_ACCEL_TEST_CALLS"
args=" ${*:2} "
if [[ $args == *" -accel kvm "* ]]; then
  echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
  echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3185: kvm_buf_set_msrs: Assertion \`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2
  kill -ABRT $$
fi
exec "$@"
