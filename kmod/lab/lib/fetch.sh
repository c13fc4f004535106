# shellcheck shell=bash
# Stage 1 of the lab: download the pinned Debian packages (apt-get download, nothing installed on the
# host) into the cache and extract them into a private root. Both steps are cached: a warm run only
# checks stamps. A pinned version that has left Debian's archive is replaced by the archive's current
# one (lib/resolve.sh); every later stage reads the specs through lab_package_specs, so it gets the
# replacement. Sourced by run.sh; uses LAB_CACHE, LAB_PACKAGE_LISTS, LAB_RESOLVE_ONLY, log/note/die
# from run.sh.

# shellcheck source=lib/resolve.sh
. "$LAB_DIR/lib/resolve.sh"

# The package specs for this kernel, one "name=version [sha256] [@DIR]" per line: every line of the
# first list in LAB_PACKAGE_LISTS, and the non-kernel (qemu, firmware, busybox) lines of the others;
# a list's resolved specs (LAB_RESOLVED) instead of its pins when lab_fetch resolved it.
lab_package_specs() {
  local i
  for i in "${!LAB_PACKAGE_LISTS[@]}"; do lab_list_selected "$i"; done
}
# lab_list_selected I: the specs list number I of LAB_PACKAGE_LISTS contributes (resolved or pinned).
lab_list_selected() {
  if [[ -n ${LAB_RESOLVED[$1]:-} ]]; then
    printf '%s\n' "${LAB_RESOLVED[$1]}"
  else
    lab_list_pinned "$1"
  fi
}
# lab_list_pinned I: the pinned specs list number I contributes.
lab_list_pinned() {
  if (($1 == 0)); then
    lab_list_specs "${LAB_PACKAGE_LISTS[$1]}"
  else
    lab_list_specs "${LAB_PACKAGE_LISTS[$1]}" | grep -v '^linux-' || true
  fi
}
lab_list_specs() {
  grep -v '^[[:space:]]*#' "$1" | grep -v '^[[:space:]]*$' || true
}

# File name apt-get download gives a spec: the epoch's ':' is URL-encoded as %3a.
lab_deb_glob() {
  local nv=${1%% *}
  local name=${nv%%=*} version=${nv#*=}
  printf '%s_%s_*.deb' "$name" "${version//:/%3a}"
}

# The sha256 a spec pins (empty when it pins none: then apt's own check of the archive's signed
# index is the only one).
lab_spec_sha256() {
  local -a f
  read -ra f <<<"$1"
  [[ ${f[1]:-} =~ ^[0-9a-f]{64}$ ]] && echo "${f[1]}"
  return 0
}

# lab_verify_deb SPEC DEB: dies when DEB's sha256 differs from the one SPEC pins.
lab_verify_deb() {
  local want got
  want=$(lab_spec_sha256 "$1")
  [[ -z $want ]] && return 0
  got=$(sha256sum "$2" | cut -d' ' -f1)
  [[ $got == "$want" ]] ||
    die "$(basename "$2"): sha256 $got, the pinned list says $want" \
      "delete it from $LAB_CACHE/debs and rerun (a corrupt or substituted download)" 1
}

# APT_OPTS for a list: none when it names no "# apt-source:" (the host's apt lists are used), else a
# private sources list and state/cache dirs under $LAB_CACHE/apt/<list> (the host's apt configuration
# is neither read for sources nor changed).
lab_apt_opts() {
  local list=$1 dir
  APT_OPTS=()
  grep -q '^# apt-source: ' "$list" || return 0
  dir="$LAB_CACHE/apt/$(basename "$list" .txt)"
  mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial"
  sed -n 's/^# apt-source: //p' "$list" >"$dir/sources.list"
  APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State=$dir/state" -o "Dir::Cache=$dir/cache" -o Dir::State::status=/dev/null
    -o Debug::NoLocking=1)
}

lab_fetch() {
  local i
  LAB_RESOLVED=()
  LAB_PACKAGE_NOTES=()
  for i in "${!LAB_PACKAGE_LISTS[@]}"; do lab_fetch_list "$i"; done
}

# The specs on stdin whose .deb is not in the cache, one a line.
lab_specs_missing() {
  local spec
  while read -r spec; do
    # shellcheck disable=SC2086  # the glob is meant to expand
    compgen -G "$LAB_CACHE/debs/$(lab_deb_glob "$spec")" >/dev/null || echo "$spec"
  done
}

# lab_fetch_list I: downloads the missing packages list number I contributes. With every pinned .deb
# in the cache nothing else happens (no network); else a replacement resolved earlier whose .debs
# are all cached is reused, or the pins are checked against the archive and the ones that left it
# resolved (lab_resolve_list) before the download.
lab_fetch_list() {
  local list=${LAB_PACKAGE_LISTS[$1]} debs="$LAB_CACHE/debs" missing=() names=() spec tmp deb
  mapfile -t missing < <(lab_list_pinned "$1" | lab_specs_missing)
  if ((${#missing[@]} == 0)); then
    log "packages: $(basename "$list"): all cached in $debs"
    return 0
  fi
  if lab_reuse_resolved "$1"; then
    log "packages: $(basename "$list"): all cached in $debs (the versions resolved earlier)"
    return 0
  fi
  lab_apt_opts "$list"
  lab_resolve_list "$1"
  ((LAB_RESOLVE_ONLY)) && return 0
  mapfile -t missing < <(lab_list_selected "$1" | lab_specs_missing)
  for spec in "${missing[@]}"; do names+=("${spec%% *}"); done
  log "packages: downloading ${#missing[@]} of $(basename "$list") from Debian's archive into $debs"
  # Download into a temp dir first so an interrupted download never leaves a half file in the cache.
  mkdir -p "$debs"
  tmp=$(mktemp -d "$debs/.dl.XXXXXX")
  if ! (cd "$tmp" && apt-get "${APT_OPTS[@]}" download -q -o APT::Sandbox::User=root "${names[@]}" >"$tmp/apt.log" 2>&1); then
    cat "$tmp/apt.log" >&2
    rm -rf "$tmp"
    die "apt-get download failed for: ${names[*]}" \
      "check the network; or copy the .debs into $debs"
  fi
  for spec in "${missing[@]}"; do
    deb=$(compgen -G "$tmp/$(lab_deb_glob "$spec")" | head -n1)
    [[ -n $deb ]] || { rm -rf "$tmp"; die "apt-get download gave no .deb for ${spec%% *}" "see $list"; }
    lab_verify_deb "$spec" "$deb" || { rm -rf "$tmp"; exit 1; }
  done
  mv "$tmp"/*.deb "$debs/"
  rm -rf "$tmp"
  lab_save_resolved "$1"
}

# Extracts every package into $LAB_ROOT once (stamped with the checksum of the package lists and of
# the specs resolved for them, so a root of other versions is never reused); a pinned
# sha256 is checked again before extracting. From the kernel image only boot/* and the NIC drivers
# the guest loads are taken (the rest is 400 MB the guest never uses); xz-compressed modules are
# decompressed (busybox insmod reads plain ELF).
lab_extract() {
  local sum stamp="$LAB_ROOT/.extracted" spec deb dest
  sum=$({
    cat "${LAB_PACKAGE_LISTS[@]}"
    # Nothing when every list's pins are used, so a root extracted before resolving existed stays valid.
    local i
    for i in "${!LAB_PACKAGE_LISTS[@]}"; do [[ -z ${LAB_RESOLVED[$i]:-} ]] || echo "${LAB_RESOLVED[$i]}"; done
  } | sha256sum | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$sum" ]]; then
    log "extract: cached in $LAB_ROOT"
    return 0
  fi
  rm -rf "$LAB_ROOT"
  mkdir -p "$LAB_ROOT"
  log "extract: into $LAB_ROOT"
  while read -r spec; do
    deb=$(compgen -G "$LAB_CACHE/debs/$(lab_deb_glob "$spec")" | head -n1)
    [[ -n $deb ]] || die "package ${spec%% *} is not in the cache" "rerun; the download stage fetches it"
    lab_verify_deb "$spec" "$deb"
    dest=$LAB_ROOT
    [[ $spec =~ \ @([A-Za-z0-9_.-]+)$ ]] && dest="$LAB_ROOT/${BASH_REMATCH[1]}" && mkdir -p "$dest"
    case ${spec%%=*} in
      # Up to 6.x the image package holds boot/ and the modules; from 7.x linux-image is a
      # meta package over linux-binary (boot/) and linux-modules (the modules).
      linux-image-* | linux-binary-* | linux-modules-*)
        local members
        members=$(dpkg-deb --fsys-tarfile "$deb" | tar -t --wildcards './boot/*' '*/modules/*/vmlinuz' \
          '*/kernel/drivers/net/veth.ko*' '*/kernel/drivers/net/virtio_net.ko*' \
          '*/kernel/drivers/net/net_failover.ko*' '*/kernel/net/core/failover.ko*' 2>/dev/null) || true
        [[ -z $members ]] || dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" -T <(printf '%s\n' "$members")
        ;;
      *) dpkg-deb -x "$deb" "$dest" ;;
    esac
  done < <(lab_package_specs)
  # 7.x packages keep vmlinuz, config and System.map in usr/lib/modules/<version>/: the lab reads boot/.
  local kdir="$LAB_ROOT/usr/lib/modules/$LAB_KVER" f
  if [[ ! -e $LAB_ROOT/boot/vmlinuz-$LAB_KVER && -f $kdir/vmlinuz ]]; then
    mkdir -p "$LAB_ROOT/boot"
    for f in vmlinuz config System.map; do
      if [[ -f $kdir/$f ]]; then ln -sf "$kdir/$f" "$LAB_ROOT/boot/$f-$LAB_KVER"; fi
    done
  fi
  [[ -e $LAB_ROOT/boot/vmlinuz-$LAB_KVER ]] ||
    die "no kernel image (boot/vmlinuz-$LAB_KVER) in the packages of ${LAB_PACKAGE_LISTS[0]##*/}" \
      "pin the packages that hold the kernel (from 7.x: linux-binary, linux-modules, linux-base)"
  find "$LAB_ROOT" -path '*/modules/*' -name '*.ko.xz' -exec xz -d {} +
  lab_wrap_kbuild_tools
  # The headers' Makefile includes the -common tree by absolute path; point it into our root.
  # (From 7.x it also names itself as KBUILD_OUTPUT, by absolute path.)
  sed -i -e "s#^include /usr/src/#include $LAB_ROOT/usr/src/#" \
    -e "s#^KBUILD_OUTPUT=/usr/src/#KBUILD_OUTPUT=$LAB_ROOT/usr/src/#" \
    "$LAB_ROOT/usr/src/linux-headers-$LAB_KVER/Makefile"
  echo "$sum" >"$stamp"
}

# Kbuild helper programs built against a newer glibc than the host's run with the loader and
# libraries of <root>/kbuild-libc (the packages marked @kbuild-libc): each ELF is renamed to
# NAME.bin and NAME becomes a script that starts it through that loader.
lab_wrap_kbuild_tools() {
  local libdir="$LAB_ROOT/kbuild-libc/usr/lib/x86_64-linux-gnu" f
  [[ -x $libdir/ld-linux-x86-64.so.2 ]] || return 0
  for f in "$LAB_ROOT"/usr/lib/linux-kbuild-*/tools/objtool/objtool.real-x86 \
    "$LAB_ROOT"/usr/lib/linux-kbuild-*/scripts/mod/modpost.real-lsb-64 \
    "$LAB_ROOT"/usr/lib/linux-kbuild-*/tools/bpf/resolve_btfids/resolve_btfids; do
    [[ -f $f && ! -e $f.bin ]] || continue
    mv "$f" "$f.bin"
    printf '#!/bin/sh\nexec %s --library-path %s "$0.bin" "$@"\n' "$libdir/ld-linux-x86-64.so.2" "$libdir" >"$f"
    chmod +x "$f"
  done
}
