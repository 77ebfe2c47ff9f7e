#!/usr/bin/env bash
# A minimal Debian 13 (trixie) root with POCL 6.0, the one OpenCL device ILGPU 1.5.3 accepts on a machine without a
# GPU (Debian 12's POCL 3.1 has no generic address space, so ILGPU refuses it). Made once per machine, at a fixed path,
# and reused; the OpenCL tests run acr inside it through chroot, with this machine's .NET and the repository
# bind-mounted at the same paths.
#
#   scripts/opencl-root.sh prepare        make the root if it is missing or invalid (installs debootstrap if needed),
#                                         then check that POCL's device is listed inside it
#   scripts/opencl-root.sh mount          bind-mount /proc, /sys, /dev, the .NET install and the repository into it
#   scripts/opencl-root.sh umount         unmount everything mounted under the root
#   scripts/opencl-root.sh run -- CMD...  run CMD inside (mounting what is missing for the run only, and unmounting that
#                                         after); runs are serialised by a lock
#   scripts/opencl-root.sh status         exit 0 when the root is present and valid, printing the path
#
# Environment: ACR_OPENCL_ROOT (default /var/cache/acr/opencl-root); ACR_DEBIAN_MIRROR (default: the Debian mirror this
# machine's apt uses). Must run as root (debootstrap, mount, chroot).
# Exit codes: 0 done; 3 Debian's package registry cannot be reached (prepare: nothing else is wrong, the OpenCL tests
# skip); 4 the root is absent or invalid (status, mount, run); 1 anything else.
set -euo pipefail

ROOT=${ACR_OPENCL_ROOT:-/var/cache/acr/opencl-root}
ROOT=${ROOT%/}
SUITE=trixie
PACKAGES=pocl-opencl-icd,clinfo,ocl-icd-libopencl1,ca-certificates
MARKER=etc/acr-opencl-root        # written last by prepare: the root is complete
FORMAT=1                          # bump to rebuild every machine's root when what it must hold changes
LOCK="$ROOT.lock"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

die() { echo "opencl-root: $*" >&2; exit 1; }
say() { echo "opencl-root: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, mount and chroot need it)"
mkdir -p "$(dirname "$ROOT")"

dotnet_home() {
  local d
  if [ -n "${DOTNET_ROOT:-}" ] && [ -x "$DOTNET_ROOT/dotnet" ]; then
    d=$DOTNET_ROOT
  else
    d=$(dirname "$(readlink -f "$(command -v dotnet)")") || die "no dotnet on PATH"
  fi
  (cd "$d" && pwd -P)
}

valid() {
  [ -f "$ROOT/$MARKER" ] && [ "$(cat "$ROOT/$MARKER")" = "format $FORMAT" ] \
    && [ -x "$ROOT/usr/bin/clinfo" ] && [ -f "$ROOT/etc/OpenCL/vendors/pocl.icd" ] \
    && ls "$ROOT"/usr/lib/*/libOpenCL.so.1 >/dev/null 2>&1
}

# Mount points under the root, deepest first (from the kernel's table, so nothing is missed).
mounted_under() {
  awk -v root="$ROOT" '{ p = $5; gsub(/\\040/, " ", p); if (index(p "/", root "/") == 1) print length(p) "\t" p }' /proc/self/mountinfo \
    | sort -rn | cut -f2-
}

is_mounted() { mountpoint -q "$1" 2>/dev/null; }

# Lazily unmounts everything under DIR, deepest first.
unmount_under() {
  local p
  while IFS= read -r p; do
    [ -n "$p" ] && umount -l "$p"
  done < <(awk -v root="$1" '{ p = $5; gsub(/\\040/, " ", p); if (index(p "/", root "/") == 1) print length(p) "\t" p }' /proc/self/mountinfo | sort -rn | cut -f2-)
}

# Deletes DIR only when nothing is mounted under it: a bind-mounted repository or /dev on the same file system would
# otherwise be deleted with it (--one-file-system does not tell a bind mount from the root it sits on).
safe_remove() {
  local dir=$1 left
  left=$(awk -v root="$dir" '{ p = $5; gsub(/\\040/, " ", p); if (index(p "/", root "/") == 1) print p }' /proc/self/mountinfo)
  [ -z "$left" ] || die "refusing to delete $dir: still mounted under it: $left"
  rm -rf --one-file-system "$dir"
}

# Bind-mounts SOURCE at the same place inside the root (TARGET may differ); read-only when $3 = ro. Prints the target
# when it was mounted by this call.
bind() {
  local source=$1 target="$ROOT$2" mode=${3:-rw}
  if is_mounted "$target"; then
    return 0
  fi
  mkdir -p "$target"
  mount --bind "$source" "$target"
  if [ "$mode" = ro ]; then
    mount -o remount,bind,ro "$target"
  fi
  echo "$target"
}

# Everything a run needs; prints what this call mounted (one per line), so `run` can undo only that.
mount_all() {
  local dotnet
  dotnet=$(dotnet_home)
  bind /proc /proc
  bind /sys /sys
  bind /dev /dev
  bind "$dotnet" "$dotnet" ro
  bind "$REPO" "$REPO"
}

umount_all() {
  local p left
  while IFS= read -r p; do
    [ -n "$p" ] || continue
    umount "$p" 2>/dev/null || umount -l "$p"
  done < <(mounted_under)
  left=$(mounted_under)
  [ -z "$left" ] || die "still mounted under $ROOT: $left"
}

with_lock() {
  exec 9>"$LOCK"
  flock -w 1800 9 || die "timed out waiting for $LOCK"
}

# The mirror this machine's apt uses for Debian itself (not the security archive), so the root comes from the same
# registry; empty when none is configured (debootstrap then uses its default).
mirror() {
  if [ -n "${ACR_DEBIAN_MIRROR:-}" ]; then
    echo "$ACR_DEBIAN_MIRROR"
    return
  fi
  local uri
  uri=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && u != "" && $0 !~ /security/ { print u; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [ -z "$uri" ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  fi
  echo "$uri"
}

# 0 when the registry answers on its port, 1 when not (DNS failure, refused, timed out).
reachable() {
  local uri=$1 hostport host port
  [ -n "$uri" ] || return 0
  hostport=${uri#*://}
  hostport=${hostport%%/*}
  host=${hostport%%:*}
  port=80
  [[ $uri == https://* ]] && port=443
  [[ $hostport == *:* ]] && port=${hostport##*:}
  timeout 15 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

unreachable() {
  echo "opencl-root: Debian's package registry cannot be reached ($*); the OpenCL tests will be skipped" >&2
  exit 3
}

# A log says the registry could not be reached rather than something being wrong.
network_failure() {
  grep -qiE "Temporary failure resolving|Could not resolve|Failed to fetch|Failed getting release file|Connection (refused|timed out)|Network is unreachable|No route to host|Couldn't download" "$1"
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null && return 0
  say "installing debootstrap"
  local log
  log=$(mktemp)
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; } >"$log" 2>&1; then
    if network_failure "$log"; then
      tail -5 "$log" >&2
      rm -f "$log"
      unreachable "apt-get could not fetch debootstrap"
    fi
    tail -20 "$log" >&2
    rm -f "$log"
    die "installing debootstrap failed"
  fi
  rm -f "$log"
}

smoke_test() {
  local mine out
  mine=$(mount_all)
  set +e
  out=$(chroot "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin clinfo -l 2>&1)
  local status=$?
  set -e
  while IFS= read -r p; do [ -n "$p" ] && umount "$p"; done < <(tac <<<"$mine")
  [ $status -eq 0 ] && grep -qi "portable computing language" <<<"$out" \
    || die "the root at $ROOT is complete but clinfo lists no POCL platform inside it: $out"
  say "POCL is listed inside $ROOT: $(grep -i 'device' <<<"$out" | head -1 | sed 's/^[^A-Za-z0-9]*//')"
}

prepare() {
  with_lock
  if valid; then
    say "reusing $ROOT"
    smoke_test
    return 0
  fi
  umount_all
  if [ -e "$ROOT" ]; then
    say "$ROOT is incomplete or of another format: making it again"
    safe_remove "$ROOT"
  fi
  ensure_debootstrap
  local uri partial log started
  uri=$(mirror)
  reachable "$uri" || unreachable "no answer from the mirror $uri"
  partial="$ROOT.partial"
  if [ -e "$partial" ]; then
    unmount_under "$partial"
    safe_remove "$partial"
  fi
  log="$ROOT.debootstrap.log"
  started=$(date +%s)
  say "making a Debian $SUITE root with POCL at $ROOT (once per machine; several minutes)"
  # shellcheck disable=SC2086  # the mirror is one word or none
  if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$partial" $uri >"$log" 2>&1; then
    unmount_under "$partial" # debootstrap mounts /proc and /sys in the target while it installs
    safe_remove "$partial"
    if network_failure "$log"; then
      tail -5 "$log" >&2
      unreachable "debootstrap could not download from the mirror"
    fi
    tail -30 "$log" >&2
    die "debootstrap failed (log: $log)"
  fi
  # Keep the root small: the package cache is not needed once installed.
  rm -rf "$partial"/var/cache/apt/archives/*.deb "$partial"/var/lib/apt/lists/*
  echo "format $FORMAT" >"$partial/$MARKER"
  mv "$partial" "$ROOT"
  valid || die "the new root at $ROOT lacks POCL's ICD or the OpenCL loader"
  say "made $ROOT in $(( $(date +%s) - started )) s ($(du -sm "$ROOT" | cut -f1) MiB)"
  smoke_test
}

require_valid() {
  valid || { echo "opencl-root: no valid root at $ROOT (make it with scripts/opencl-root.sh prepare)" >&2; exit 4; }
}

run_inside() {
  require_valid
  with_lock
  local mine status
  mine=$(mount_all)
  set +e
  chroot "$ROOT" /usr/bin/env -i \
    PATH="$(dotnet_home):/usr/local/bin:/usr/bin:/bin" HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 \
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    "$@"
  status=$?
  set -e
  while IFS= read -r p; do [ -n "$p" ] && umount "$p"; done < <(tac <<<"$mine")
  return $status
}

case "${1:-}" in
  prepare) prepare ;;
  mount) require_valid; with_lock; mount_all >/dev/null; say "mounted under $ROOT: $(mounted_under | sort | tr '\n' ' ')" ;;
  umount) with_lock; umount_all; say "nothing is mounted under $ROOT" ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || die "run: no command"
    run_inside "$@"
    ;;
  status) require_valid; echo "$ROOT" ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 1 ;;
esac
