#!/usr/bin/env bash
# The kernel lab's pins that left Debian's archive (kmod/lab/lib/resolve.sh), against the real
# archive with the host's apt configuration (the one kmod/lab/packages.txt uses), each case a stale
# list in a temp dir and a private cache under $TMPDIR, both removed at the end.
#
#   lab_pin_test.sh resolve
#       run.sh --resolve-only (nothing downloaded): a plain package whose version left
#       (linux-kbuild-6.1=6.1.192-2) gets the archive's candidate; a kernel ABI that left (6.1.0-10)
#       gets the archive's current 6.1 ABI in every linux-* spec; a series the archive cannot provide
#       (an invented 5.99) is one line, exit 3, nothing in the cache. Seconds (apt-get update).
#   lab_pin_test.sh fetch
#       run.sh --fetch-only with the stale 6.1.0-10 list: downloads and extracts the resolved kernel
#       (about 85 MB) into root-<resolved release>, then a second run reuses it without the network.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
RUN="$SRC/kmod/lab/run.sh"
FAILS=0
# A run killed outright (a ctest timeout) leaves its directory: the next run removes the ones whose
# owner (pid and start time, from /proc/<pid>/stat) is gone, one line each.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
for old in "${TMPDIR:-/tmp}"/lab-pin-test.*; do
  [[ -f $old/owner ]] || continue
  read -r pid start <"$old/owner" || continue
  [[ -n $pid && $(start_time "$pid") == "$start" ]] && continue
  rm -rf "$old" && echo "lab_pin_test: removed $old of run $pid (no longer running)"
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lab-pin-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "$$ $(start_time $$)" >"$TMP/owner"

# apt-cache with a binary cache of the indexes of its own (hosts built as containers often disable
# apt's: then every call parses all the indexes again).
apt_cache() { apt-cache -o "Dir::Cache::pkgcache=$TMP/pkgcache.bin" -o Dir::Cache::srcpkgcache= "$@"; }

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
expect_eq() { [[ $2 == "$3" ]] || fail "$1: expected '$3', got '$2'"; }
expect_match() { [[ $2 =~ $3 ]] || fail "$1: '$2' does not match /$3/"; }

# The stale lists, one per case: NAME, then its lines.
BUSYBOX=$(grep '^busybox-static=' "$SRC/kmod/lab/packages.txt")
write_list() {
  local name=$1
  shift
  printf '%s\n' "# a stale list for lab_pin_test.sh" "$@" >"$TMP/$name.txt"
}
write_list kbuild "linux-kbuild-6.1=6.1.192-2" "$BUSYBOX"
write_list abi "linux-image-6.1.0-10-amd64=6.1.38-4" "linux-headers-6.1.0-10-amd64=6.1.38-4" \
  "linux-headers-6.1.0-10-common=6.1.38-4" "linux-kbuild-6.1=6.1.38-4" "$BUSYBOX"
write_list series "linux-image-5.99.0-1-amd64=5.99.1-1" "linux-headers-5.99.0-1-amd64=5.99.1-1" "$BUSYBOX"

# lab CASE MODE...: run.sh --quiet with list CASE and a fresh private cache $TMP/cache-CASE (kept
# for the checks); leaves rc, $TMP/out and $TMP/err.
lab() {
  local list=$1
  shift
  rm -rf "$TMP/cache-$list"
  set +e
  "$RUN" --packages "$TMP/$list.txt" --cache-dir "$TMP/cache-$list" --work-dir "$TMP/work" --quiet "$@" \
    >"$TMP/out" 2>"$TMP/err"
  rc=$?
  set -e
}

# The archive's current 6.1 kernel by Debian's own pointer: the ABI linux-image-amd64 depends on.
current_abi() {
  local ver
  ver=$(apt_cache policy linux-image-amd64 | sed -n 's/^ *Candidate: //p')
  apt_cache show "linux-image-amd64=$ver" | sed -n 's/^Depends: .*linux-image-\([0-9.-]*\)-amd64 .*/\1/p' | head -n1
}

# The version of NAME in the specs on stdin.
spec_version() { sed -n "s/^$1=\\([^ ]*\\).*/\\1/p"; }

case_kbuild() {
  local cand got
  lab kbuild --resolve-only
  expect_eq "kbuild: exit" "$rc" 0
  cand=$(apt_cache policy linux-kbuild-6.1 | sed -n 's/^ *Candidate: //p')
  got=$(spec_version linux-kbuild-6.1 <"$TMP/out")
  expect_eq "kbuild: resolved version (the archive's candidate)" "$got" "$cand"
  [[ $got != 6.1.192-2 ]] || fail "kbuild: kept the version that left the archive"
  apt_cache show "linux-kbuild-6.1=$got" >/dev/null 2>&1 || fail "kbuild: $got is not in the archive's index"
  expect_eq "kbuild: busybox kept" "$(grep -c '^busybox-static=' "$TMP/out")" 1
  grep -qxF "$BUSYBOX" "$TMP/out" || fail "kbuild: the busybox pin, still in the archive, was changed"
  expect_eq "kbuild: note lines with --quiet" "$(grep -c 'pins versions that have left' "$TMP/err")" 1
  expect_match "kbuild: note" "$(cat "$TMP/err")" "linux-kbuild-6.1 6.1.192-2 -> $cand"
}

case_abi() {
  local abi ver name v abis=()
  lab abi --resolve-only
  expect_eq "abi: exit" "$rc" 0
  abi=$(current_abi)
  [[ -n $abi ]] || fail "abi: no current ABI from linux-image-amd64 (apt lists?)"
  ver=$(spec_version "linux-image-$abi-amd64" <"$TMP/out")
  [[ -n $ver ]] || fail "abi: no linux-image-$abi-amd64 in: $(tr '\n' ' ' <"$TMP/out")"
  for name in "linux-image-$abi-amd64" "linux-headers-$abi-amd64" "linux-headers-$abi-common"; do
    v=$(spec_version "$name" <"$TMP/out")
    expect_eq "abi: $name version" "$v" "$ver"
    apt_cache show "$name=$v" >/dev/null 2>&1 || fail "abi: $name=$v is not in the archive's index"
  done
  # Every linux-* spec on one ABI; the ABI-less kbuild at the archive's candidate.
  mapfile -t abis < <(sed -n 's/^linux-\(image\|headers\)-\([0-9.]*-[0-9]*\)-.*/\2/p' "$TMP/out" | sort -u)
  expect_eq "abi: ABIs in the resolved specs" "${abis[*]}" "$abi"
  expect_eq "abi: kbuild" "$(spec_version linux-kbuild-6.1 <"$TMP/out")" \
    "$(apt_cache policy linux-kbuild-6.1 | sed -n 's/^ *Candidate: //p')"
  expect_eq "abi: spec count" "$(wc -l <"$TMP/out")" 5
  expect_eq "abi: note lines" "$(grep -c 'pins versions that have left' "$TMP/err")" 1
  expect_match "abi: note" "$(cat "$TMP/err")" "kernel 6\\.1\\.0-10 \\(6\\.1\\.38-4\\) -> $abi \\($ver\\)"
}

case_series() {
  local left
  lab series --fetch-only
  expect_eq "series: exit" "$rc" 3
  expect_eq "series: stderr lines" "$(wc -l <"$TMP/err")" 1
  expect_match "series: message" "$(cat "$TMP/err")" \
    "^copylab lab: packages: series\\.txt pins kernel 5\\.99\\.0-1, .* no complete 5\\.99 kernel .*Fix: update"
  # (apt/ is apt's state for the lists: its binary cache of the indexes may stay)
  left=$(find "$TMP/cache-series" -mindepth 1 ! -name .lock ! -path "$TMP/cache-series/apt" \
    ! -path "$TMP/cache-series/apt/*")
  expect_eq "series: left in the cache" "$left" ""
}

# The full fetch of the stale ABI list, then the same again offline from the cache.
case_fetch() {
  local release root
  lab abi --fetch-only
  expect_eq "fetch: exit" "$rc" 0
  [[ $rc == 0 ]] || { cat "$TMP/err" >&2; return; }
  release="$(current_abi)-amd64"
  root="$TMP/cache-abi/root-$release"
  [[ -f $root/boot/vmlinuz-$release ]] || fail "fetch: no $root/boot/vmlinuz-$release"
  [[ -f $root/usr/src/linux-headers-$release/Makefile ]] || fail "fetch: no headers tree for $release"
  grep -q "include $root/usr/src/" "$root/usr/src/linux-headers-$release/Makefile" ||
    fail "fetch: the headers' Makefile does not point into $root"
  [[ ! -e $TMP/cache-abi/root-6.1.0-10-amd64 ]] || fail "fetch: a root named after the stale pin"
  expect_eq "fetch: note lines" "$(grep -c 'pins versions that have left' "$TMP/err")" 1
  # Again: the resolved .debs are cached, so no apt at all (no network when unshare can take it).
  local -a offline=()
  unshare -n true 2>/dev/null && offline=(unshare -n)
  set +e
  "${offline[@]}" "$RUN" --packages "$TMP/abi.txt" --cache-dir "$TMP/cache-abi" --work-dir "$TMP/work" \
    --fetch-only >"$TMP/out" 2>"$TMP/err"
  rc=$?
  set -e
  expect_eq "fetch again: exit" "$rc" 0
  expect_match "fetch again" "$(cat "$TMP/err")" "all cached in .*\\(the versions resolved earlier\\)"
  expect_match "fetch again" "$(cat "$TMP/err")" "extract: cached in $root"
  ! grep -qE 'apt-get update|downloading' "$TMP/err" || fail "fetch again: went to the archive: $(cat "$TMP/err")"
}

case ${1:-} in
  resolve) case_kbuild; case_abi; case_series ;;
  fetch) case_fetch ;;
  *) echo "usage: $0 resolve|fetch" >&2; exit 2 ;;
esac
((FAILS == 0)) || { echo "lab_pin_test $1: $FAILS failure(s)" >&2; exit 1; }
echo "lab_pin_test $1: ok"
