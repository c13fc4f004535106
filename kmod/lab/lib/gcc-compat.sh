#!/bin/sh
# The host's gcc standing in for the newer gcc a guest kernel was built with (Debian 13's 6.12:
# gcc-14), for building copyprobe.ko only. The one kernel flag gcc 12 lacks is rewritten:
# -fmin-function-alignment=N (CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT, arch/Kconfig) becomes
# -falign-functions=N, the flag the kernel's Makefile itself uses without that option.
# Usage (lib/build.sh): make CC=<this script>; the real compiler is $COPYLAB_LAB_HOST_CC or gcc.
for a; do
  shift
  case $a in
    -fmin-function-alignment=*) set -- "$@" "-falign-functions=${a#*=}" ;;
    *) set -- "$@" "$a" ;;
  esac
done
exec "${COPYLAB_LAB_HOST_CC:-gcc}" "$@"
