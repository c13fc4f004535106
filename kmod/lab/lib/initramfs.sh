# shellcheck shell=bash
# Stage 3 of the lab: the guest's whole root file system as an initramfs: busybox, the host's `ip`
# (iproute2 6.1, same glibc as the guest needs: both are Debian 12), veth.ko and copyprobe.ko,
# copylab's binaries with the shared libraries ldd names, the guest scripts and their config.
# Sourced by run.sh.

COPYLAB_TOOLS=(sock_sender sock_receiver xdp_sender xdp_receiver copylab)

# Copies an executable and every shared library it needs to the same paths under the root.
copy_with_libs() {
  local exe=$1 dest=$2 root=$3 lib
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$exe" "$root$dest"
  # Debug info only makes the initramfs (and the guest's RAM) bigger.
  strip --strip-debug "$root$dest" 2>/dev/null || true
  for lib in $(ldd "$exe" 2>/dev/null | grep -o '/[^ ]*'); do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

lab_pack_initramfs() {
  local root="$WORK_DIR/initramfs" tool found=() missing=()
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,lab/experiments,opt/copylab/bin}
  cp "$LAB_ROOT/bin/busybox" "$root/bin/busybox"
  copy_with_libs /usr/sbin/ip /usr/sbin/ip "$root"
  local mod path
  # veth always; virtio_net and its dependencies (failover, net_failover) where the kernel has them
  # (the 6.12 guest's NICs). Debian 12 keeps modules in /lib/modules, Debian 13 in /usr/lib/modules.
  for mod in veth failover net_failover virtio_net; do
    path=$(find "$LAB_ROOT/lib/modules" "$LAB_ROOT/usr/lib/modules" -name "$mod.ko" 2>/dev/null | head -n1 || true)
    [[ -n $path ]] && cp "$path" "$root/lab/$mod.ko"
  done
  [[ -f $root/lab/veth.ko ]] || die "veth.ko is not in $LAB_ROOT" "delete $LAB_ROOT/.extracted and rerun" 1
  cp "$MODULE_KO" "$root/lab/copyprobe.ko"
  cp "$LAB_DIR/guest/init" "$root/init"
  cp "$LAB_DIR/guest/lib.sh" "$LAB_DIR/guest/tools.sh" "$LAB_DIR/guest/pair.sh" "$root/lab/"
  # jq (when the host has it) lets the guest read copylab's JSON results exactly.
  if command -v jq >/dev/null; then copy_with_libs "$(command -v jq)" /usr/bin/jq "$root"; fi
  cp "$LAB_DIR"/guest/experiments/*.sh "$root/lab/experiments/"
  chmod +x "$root/init"

  for tool in "${COPYLAB_TOOLS[@]}"; do
    if [[ -n $BIN_DIR && -x $BIN_DIR/$tool ]]; then
      copy_with_libs "$BIN_DIR/$tool" "/opt/copylab/bin/$tool" "$root"
      found+=("$tool")
    else
      missing+=("$tool")
    fi
  done
  # copylab's netns scripts (found through COPYLAB_NETNS_DIR, set in /init) and, for anything
  # that uses the path it was built with, its bin dir mirrored.
  if ((${#found[@]})); then
    mkdir -p "$root/opt/copylab/netns" "$root$(dirname "$BIN_DIR")"
    cp "$KMOD_DIR"/../../netns/*.sh "$root/opt/copylab/netns/"
    ln -sfn /opt/copylab/bin "$root$BIN_DIR"
    for tool in bash ethtool flock; do
      command -v $tool >/dev/null && copy_with_libs "$(command -v $tool)" "/usr/bin/$tool" "$root"
    done
  fi
  # libxdp loads its dispatcher/default XSK programs from here at run time.
  if [[ -d /usr/lib/x86_64-linux-gnu/bpf ]]; then
    mkdir -p "$root/usr/lib/x86_64-linux-gnu/bpf"
    cp /usr/lib/x86_64-linux-gnu/bpf/*.o "$root/usr/lib/x86_64-linux-gnu/bpf/" 2>/dev/null || true
  fi
  if ((STANDIN)); then
    mkdir -p "$root/lab/standin"
    cp "$WORK_DIR/standin/udpx" "$root/lab/standin/udpx"
  fi
  LAB_TOOLS_FOUND="${found[*]:-none}" LAB_TOOLS_MISSING="${missing[*]:-none}"
  log "initramfs: copylab tools found: $LAB_TOOLS_FOUND; missing: $LAB_TOOLS_MISSING${BIN_DIR:+ (in $BIN_DIR)}"

  cat >"$root/lab/config" <<CFG
LAB_KVER='$LAB_KVER'
LAB_KERNEL='$KERNEL'
LAB_NICS=${LAB_NICS:-0}
LAB_COUNT=$COUNT
LAB_FLOOD=$FLOOD
LAB_SIZE=$SIZE
LAB_ONLY='$ONLY'
LAB_STANDIN=$STANDIN
LAB_BIN_DIR_GIVEN='${BIN_DIR:+yes}'
CFG
  INITRAMFS="$WORK_DIR/initramfs.cpio.gz"
  (cd "$root" && find . | "$LAB_ROOT/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$INITRAMFS"
  log "initramfs: $(du -h "$INITRAMFS" | cut -f1) ($INITRAMFS)"
}
