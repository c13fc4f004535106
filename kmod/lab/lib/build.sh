# shellcheck shell=bash
# Stage 2 of the lab: the module, built with Kbuild against the guest kernel's own headers (so
# vermagic matches), and the stand-in traffic tool. Sources are copied into WORK_DIR so the source
# tree stays clean. Sourced by run.sh.

lab_build_module() {
  local src="$WORK_DIR/module" sum
  MODULE_KO="$src/copyprobe.ko"
  sum=$(cat "$KMOD_DIR/Kbuild" "$KMOD_DIR"/copyprobe*.[ch] | sha256sum | cut -d' ' -f1)-$LAB_KVER
  if [[ -f $MODULE_KO && $(cat "$src/.sources" 2>/dev/null) == "$sum" ]]; then
    log "module: up to date ($MODULE_KO)"
    return 0
  fi
  mkdir -p "$src"
  cp "$KMOD_DIR/Kbuild" "$KMOD_DIR"/copyprobe*.[ch] "$src/"
  lab_kbuild_overrides
  log "module: make -C linux-headers-$LAB_KVER M=$src ${LAB_KBUILD_OVERRIDES[*]}"
  if ! make -s -C "$LAB_ROOT/usr/src/linux-headers-$LAB_KVER" M="$src" "${LAB_KBUILD_OVERRIDES[@]}" modules >"$src/build.log" 2>&1; then
    cat "$src/build.log" >&2
    die "building copyprobe.ko against $LAB_KVER failed" "see the compiler output above" 1
  fi
  echo "$sum" >"$src/.sources"
}

# LAB_KBUILD_OVERRIDES: make variables for a host that lacks what the guest kernel was built with.
# The compiler named in the kernel's CONFIG_CC_VERSION_TEXT, when absent, is replaced by the host's
# gcc through gcc-compat.sh; pahole, when absent, by `true` (the module then carries no BTF, which a
# kprobe module does not use; headers that ship vmlinux would otherwise run pahole).
lab_kbuild_overrides() {
  local config="$LAB_ROOT/boot/config-$LAB_KVER" cc
  LAB_KBUILD_OVERRIDES=()
  cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\).*/\1/p' "$config")
  if [[ -n $cc ]] && ! command -v "$cc" >/dev/null; then
    LAB_KBUILD_OVERRIDES+=("CC=$LAB_DIR/lib/gcc-compat.sh")
  fi
  if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$config" && ! command -v pahole >/dev/null; then
    # From 7.x modfinal also post-processes the module's BTF (resolve_btfids): no BTF at all then.
    LAB_KBUILD_OVERRIDES+=(PAHOLE=true CONFIG_DEBUG_INFO_BTF_MODULES=)
  fi
}

# The stand-in is static so it needs nothing from the guest; built whether or not it will be used.
lab_build_standins() {
  mkdir -p "$WORK_DIR/standin"
  [[ $WORK_DIR/standin/udpx -nt $LAB_DIR/standin/udpx.c ]] && return 0
  gcc -O2 -Wall -Wextra -static -o "$WORK_DIR/standin/udpx" "$LAB_DIR/standin/udpx.c" ||
    die "building the stand-in udpx failed" "install libc6-dev (static glibc)" 1
}
