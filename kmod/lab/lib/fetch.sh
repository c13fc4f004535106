# shellcheck shell=bash
# Stage 1 of the lab: download the pinned Debian packages (apt-get download, nothing installed on the
# host) into the cache and extract them into a private root. Both steps are cached: a warm run only
# checks stamps. Sourced by run.sh; uses LAB_CACHE, LAB_PACKAGES, log/die from run.sh.

# The pinned package list without comments: "name=version" per line.
lab_package_specs() {
  grep -v '^[[:space:]]*#' "$LAB_PACKAGES" | grep -v '^[[:space:]]*$'
}

# File name apt-get download gives a spec: the epoch's ':' is URL-encoded as %3a.
lab_deb_glob() {
  local name=${1%%=*} version=${1#*=}
  printf '%s_%s_*.deb' "$name" "${version//:/%3a}"
}

lab_fetch() {
  local debs="$LAB_CACHE/debs" missing=() spec
  mkdir -p "$debs"
  while read -r spec; do
    # shellcheck disable=SC2086  # the glob is meant to expand
    compgen -G "$debs/$(lab_deb_glob "$spec")" >/dev/null || missing+=("$spec")
  done < <(lab_package_specs)
  if ((${#missing[@]} == 0)); then
    log "packages: all $(lab_package_specs | wc -l) cached in $debs"
    return 0
  fi
  log "packages: downloading ${#missing[@]} from Debian's archive into $debs"
  # A fresh CI machine may have no package lists, or stale ones that no longer name the pinned versions.
  if ! apt-cache show "${missing[0]}" >/dev/null 2>&1; then
    log "packages: apt lists do not know ${missing[0]}; running apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed" "check the network / sources.list"
  fi
  # Download into a temp dir first so an interrupted download never leaves a half file in the cache.
  local tmp
  tmp=$(mktemp -d "$debs/.dl.XXXXXX")
  if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >"$tmp/apt.log" 2>&1); then
    cat "$tmp/apt.log" >&2
    rm -rf "$tmp"
    die "apt-get download failed for: ${missing[*]}" \
      "the pinned versions in $LAB_PACKAGES may have left the archive: update them, or copy the .debs into $debs"
  fi
  mv "$tmp"/*.deb "$debs/"
  rm -rf "$tmp"
}

# Extracts every package into $LAB_ROOT once (stamped with the package list's checksum).
# From the kernel image only boot/* and veth.ko are taken: the rest is 400 MB the guest never uses.
lab_extract() {
  local sum stamp="$LAB_ROOT/.extracted" spec deb
  sum=$(sha256sum "$LAB_PACKAGES" | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$sum" ]]; then
    log "extract: cached in $LAB_ROOT"
    return 0
  fi
  rm -rf "$LAB_ROOT"
  mkdir -p "$LAB_ROOT"
  log "extract: into $LAB_ROOT"
  while read -r spec; do
    deb=$(compgen -G "$LAB_CACHE/debs/$(lab_deb_glob "$spec")" | head -n1)
    [[ -n $deb ]] || die "package ${spec} is not in the cache" "rerun; the download stage fetches it"
    if [[ ${spec%%=*} == linux-image-* ]]; then
      dpkg-deb --fsys-tarfile "$deb" |
        tar -x -C "$LAB_ROOT" --wildcards './boot/*' '*/kernel/drivers/net/veth.ko'
    else
      dpkg-deb -x "$deb" "$LAB_ROOT"
    fi
  done < <(lab_package_specs)
  # The headers' Makefile includes the -common tree by absolute path; point it into our root.
  sed -i "s#^include /usr/src/#include $LAB_ROOT/usr/src/#" "$LAB_ROOT/usr/src/linux-headers-$LAB_KVER/Makefile"
  echo "$sum" >"$stamp"
}
