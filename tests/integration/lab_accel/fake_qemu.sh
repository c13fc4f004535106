#!/usr/bin/env bash
# Stands in for qemu-system-x86_64 in the function-level accelerator test: prints a guest's console
# (KLAB lines) on stdout without booting anything. FAKE_QEMU_AFTER_BEGIN=fail makes it exit 1 after
# the guest's first line (a guest that started and then failed).
echo "KLAB: BEGIN kernel=fake accel-args=$2"
if [[ ${FAKE_QEMU_AFTER_BEGIN:-} == fail ]]; then
  echo "qemu-system-x86_64: guest crashed" >&2
  exit 1
fi
echo "KLAB: PASS env: fake guest"
echo "KLAB: END t=0.1"
