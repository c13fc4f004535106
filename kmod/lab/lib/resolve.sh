# shellcheck shell=bash
# The lab's answer to pins that left Debian's archive (its security, point-release and backports
# suites keep one version of a package, and a kernel's ABI is in its package names): the pinned specs
# of a list are checked against the archive with the list's own apt configuration, and the ones it
# no longer has are replaced by its current versions, one note line per list saying what was pinned
# and what is used. Sourced by lib/fetch.sh; sets LAB_RESOLVED[I] (the specs list number I then
# contributes, one a line) and appends to LAB_PACKAGE_NOTES.

# The kernel flavour the lab boots: package names are linux-image-<ABI>-amd64 and so on.
LAB_FLAVOUR=amd64

# lab_apt_cache ARG...: apt-cache with the list's apt configuration and a binary cache of the indexes
# of its own under the lab's cache (hosts built as containers often set Dir::Cache::pkgcache "", and
# then every apt-cache call parses all the indexes again: tens of seconds each under load).
lab_apt_cache() {
  local dir
  dir="$LAB_CACHE/apt/pkgcache-$(basename "${LAB_RESOLVE_LIST:-host}" .txt)"
  ((${#APT_OPTS[@]})) || dir="$LAB_CACHE/apt/pkgcache-host"
  mkdir -p "$dir"
  apt-cache "${APT_OPTS[@]}" -o "Dir::Cache::pkgcache=$dir/pkgcache.bin" -o Dir::Cache::srcpkgcache= "$@"
}

# lab_apt_versions NAME...: "name version" for every version of the NAMEs the archive's indexes
# (APT_OPTS) list, one a line; nothing for a name they do not know.
lab_apt_versions() {
  lab_apt_cache madison "$@" 2>/dev/null |
    awk -F' *[|] *' '$3 ~ /Packages$/ { sub(/^ +/, "", $1); print $1, $2 }'
}

# lab_apt_candidate NAME: the version apt would download for NAME (empty when it has none).
lab_apt_candidate() {
  lab_apt_cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '^(none)$' || true
}

# lab_apt_update: `apt-get update` of the list's apt configuration, once per configuration and run
# (a fresh machine may have no indexes, or stale ones that name versions the archive no longer has).
# Labs with other caches may update the same (the host's) lists: they take turns on a flock of the
# lists directory; apt's own lock on it, held by another apt outside the lab, is waited for (apt-get
# update cannot wait for it itself).
lab_apt_update() {
  local key="${APT_OPTS[*]:-host}" which="the host's sources" lists="" err try
  [[ " ${LAB_APT_UPDATED:-} " == *" $key "* ]] && return 0
  ((${#APT_OPTS[@]} == 0)) || which="the list's private sources"
  log "packages: running apt-get update ($which)"
  eval "$(apt-config "${APT_OPTS[@]}" shell lists Dir::State::lists/d)"
  for ((try = 1; ; try++)); do
    err=$(flock -w 600 "${lists:-/var/lib/apt/lists}" \
      apt-get "${APT_OPTS[@]}" -o APT::Sandbox::User=root update -qq 2>&1 >/dev/null) && break
    if [[ $err != *"Could not get lock"* ]] || ((try == 60)); then
      printf '%s\n' "$err" >&2
      die "apt-get update failed" "check the network / sources.list"
    fi
    log "packages: another apt holds the lock on $lists; waiting (try $try of 60)"
    sleep 5
  done
  LAB_APT_UPDATED+=" $key"
}

# lab_spec_name SPEC / lab_spec_version SPEC / lab_spec_dir SPEC: a spec's package name, version and
# " @DIR" suffix (empty when it has none).
lab_spec_name() { local nv=${1%% *}; echo "${nv%%=*}"; }
lab_spec_version() { local nv=${1%% *}; echo "${nv#*=}"; }
lab_spec_dir() { [[ $1 =~ \ (@[A-Za-z0-9_.-]+)$ ]] && echo " ${BASH_REMATCH[1]}"; return 0; }

# lab_list_abi LIST: the kernel ABI the list pins (6.1.0-56, 6.12.118+deb13, 7.3.4+deb13: its
# linux-image-<ABI>-amd64 line), empty when it pins no kernel image.
lab_list_abi() {
  lab_list_specs "$1" | sed -n "s/^linux-image-\\(.*\\)-$LAB_FLAVOUR=.*/\\1/p" | head -n1
}

# lab_resolve_abi ABI NAME...: the archive's newest ABI of the same series (major.minor) for which
# every NAME (the list's package names that carry ABI) exists at the version of its kernel image:
# prints "ABI version". Dies when the series has none (the list must move to another series).
lab_resolve_abi() {
  local abi=$1 series names=() cand=() line name ver a key best="" bestver="" n ok
  shift
  [[ $abi =~ ^([0-9]+\.[0-9]+)[.] ]] || die "kernel ABI '$abi' has no major.minor" "fix the linux-image line"
  series=${BASH_REMATCH[1]}
  # The flavour's images of the series (not -cloud, -rt, -dbg, -unsigned).
  mapfile -t cand < <(lab_apt_cache pkgnames "linux-image-$series." 2>/dev/null |
    sed -n "s/^linux-image-\\(${series//./\\.}\\.[0-9]*\\(-[0-9]*\\)\\{0,1\\}\\(+[a-z0-9]*\\)\\{0,1\\}\\)-$LAB_FLAVOUR\$/\\1/p")
  for a in "${cand[@]}"; do
    for name in "$@"; do names+=("${name//"$abi"/"$a"}"); done
  done
  declare -A have=()
  if ((${#names[@]})); then
    while read -r name ver; do have["$name=$ver"]=1; done < <(lab_apt_versions "${names[@]}")
  fi
  for key in "${!have[@]}"; do
    name=${key%%=*} ver=${key#*=}
    [[ $name =~ ^linux-image-(.*)-$LAB_FLAVOUR$ ]] || continue
    a=${BASH_REMATCH[1]} ok=1
    for n in "$@"; do [[ -n ${have["${n//"$abi"/"$a"}=$ver"]:-} ]] || ok=0; done
    ((ok)) || continue
    if [[ -z $bestver ]] || dpkg --compare-versions "$ver" gt "$bestver"; then best=$a bestver=$ver; fi
  done
  if [[ -z $best ]]; then
    line=$(lab_apt_candidate "linux-image-$LAB_FLAVOUR")
    die "packages: ${LAB_RESOLVE_LIST##*/} pins kernel $abi, which has left Debian's archive, and the archive has no complete $series kernel (its linux-image-$LAB_FLAVOUR is ${line:-unknown})" \
      "update the list's linux-* lines to a series the archive has"
  fi
  echo "$best $bestver"
}

# Fills the caller's (lab_resolve_list's) have["name=version"] with what the archive's indexes list
# for its names, and gone with its specs they do not list.
lab_resolve_scan() {
  local name ver spec
  have=() gone=()
  while read -r name ver; do have["$name=$ver"]=1; done < <(lab_apt_versions "${names[@]}")
  for spec in "${specs[@]}"; do [[ -n ${have["${spec%% *}"]:-} ]] || gone+=("$spec"); done
}

# lab_resolve_list I: checks the pinned specs list number I contributes against the archive (APT_OPTS
# set for the list) and, when some have left it, sets LAB_RESOLVED[I] to the specs with the archive's
# current versions: a plain package's candidate; for a kernel whose ABI left, the newest ABI of its
# series in every linux-* spec (names carrying the ABI renamed, the others at their candidate). A
# resolved spec keeps its @DIR and drops its sha256 (apt still checks the archive's signed index).
lab_resolve_list() {
  local i=$1 specs=() names=() gone=() out=() parts=() spec name ver abi="" newabi="" newver="" cand
  local line abi_names=() abi_gone=0 sha_dropped=0
  LAB_RESOLVE_LIST=${LAB_PACKAGE_LISTS[$i]}
  mapfile -t specs < <(lab_list_pinned "$i")
  for spec in "${specs[@]}"; do names+=("$(lab_spec_name "$spec")"); done
  declare -A have=()
  lab_resolve_scan
  if ((${#gone[@]})); then
    lab_apt_update
    lab_resolve_scan
  fi
  ((${#gone[@]})) || return 0
  # The kernel: resolved as a whole when any package named after its ABI left.
  ((i == 0)) && abi=$(lab_list_abi "$LAB_RESOLVE_LIST")
  if [[ -n $abi ]]; then
    for name in "${names[@]}"; do [[ $name == *"$abi"* ]] && abi_names+=("$name"); done
    for spec in "${gone[@]}"; do [[ ${spec%%=*} == *"$abi"* ]] && abi_gone=1; done
  fi
  if ((abi_gone)); then
    read -r newabi newver < <(lab_resolve_abi "$abi" "${abi_names[@]}") || exit 3
    for spec in "${specs[@]}"; do
      [[ $(lab_spec_name "$spec") == "linux-image-$abi-$LAB_FLAVOUR" ]] && line=$(lab_spec_version "$spec")
    done
    parts+=("kernel $abi ($line) -> $newabi ($newver), the archive's current ${newabi%.*} kernel")
  fi
  for spec in "${specs[@]}"; do
    name=$(lab_spec_name "$spec") ver=$(lab_spec_version "$spec")
    if ((abi_gone)) && [[ $name == linux-* ]]; then
      if [[ $name == *"$abi"* ]]; then
        out+=("${name//"$abi"/"$newabi"}=$newver$(lab_spec_dir "$spec")")
        [[ -z $(lab_spec_sha256 "$spec") ]] || sha_dropped=1
        continue
      fi
    elif [[ -n ${have["$name=$ver"]:-} ]]; then
      out+=("$spec")
      continue
    fi
    cand=$(lab_apt_candidate "$name")
    [[ -n $cand ]] || die "packages: ${LAB_RESOLVE_LIST##*/} pins $name=$ver, and Debian's archive has no $name any more" \
      "update or remove that line of $LAB_RESOLVE_LIST"
    out+=("$name=$cand$(lab_spec_dir "$spec")")
    [[ -z $(lab_spec_sha256 "$spec") ]] || sha_dropped=1
    [[ $cand == "$ver" ]] || parts+=("$name $ver -> $cand")
  done
  LAB_RESOLVED[i]=$(printf '%s\n' "${out[@]}")
  local why="the archive's current versions, checked by apt's signed index"
  ((sha_dropped)) && why+="; the list's sha256 pins do not apply"
  LAB_RESOLVE_NOTE="${LAB_RESOLVE_LIST##*/} pins versions that have left Debian's archive; using $(lab_join ', ' "${parts[@]}") ($why)"
  lab_note_resolved "$LAB_RESOLVE_NOTE"
}

# lab_join SEP WORD...: the WORDs joined by SEP.
lab_join() {
  local sep=$1 joined=$2 w
  shift 2
  for w in "$@"; do joined+=$sep$w; done
  echo "$joined"
}

# lab_note_resolved TEXT: the one line a resolved list gets, on the terminal even with --quiet and in
# the report (LAB_PACKAGE_NOTES).
lab_note_resolved() {
  LAB_PACKAGE_NOTES+=("$1")
  note "packages: $1"
}

# lab_resolved_file I: where the specs resolved for list number I are kept, so a warm cache of
# resolved versions works offline ("-shared" when only the list's non-kernel lines are used).
lab_resolved_file() {
  local base
  base=$(basename "${LAB_PACKAGE_LISTS[$1]}" .txt)
  (($1 == 0)) || base+=-shared
  echo "$LAB_CACHE/resolved/$base.txt"
}

# lab_save_resolved I: keeps LAB_RESOLVED[I] (after its download) with the list's checksum and note;
# removes an older file when the list's pins were used.
lab_save_resolved() {
  local file
  file=$(lab_resolved_file "$1")
  if [[ -z ${LAB_RESOLVED[$1]:-} ]]; then
    rm -f "$file"
    return 0
  fi
  mkdir -p "${file%/*}"
  {
    echo "# list-sha256: $(sha256sum <"${LAB_PACKAGE_LISTS[$1]}" | cut -d' ' -f1)"
    echo "# note: $LAB_RESOLVE_NOTE"
    echo "${LAB_RESOLVED[$1]}"
  } >"$file.tmp"
  mv "$file.tmp" "$file"
}

# lab_reuse_resolved I: true (LAB_RESOLVED[I] set, its note printed) when specs resolved earlier for
# this very list are kept and all their .debs are in the cache.
lab_reuse_resolved() {
  local file sum specs text
  file=$(lab_resolved_file "$1")
  [[ -f $file ]] || return 1
  sum=$(sed -n 's/^# list-sha256: //p' "$file")
  [[ $sum == "$(sha256sum <"${LAB_PACKAGE_LISTS[$1]}" | cut -d' ' -f1)" ]] || return 1
  specs=$(lab_list_specs "$file")
  [[ -n $specs && -z $(lab_specs_missing <<<"$specs") ]] || return 1
  LAB_RESOLVED[$1]=$specs
  text=$(sed -n 's/^# note: //p' "$file")
  lab_note_resolved "$text (resolved earlier, cached)"
}
