#!/usr/bin/env bash
# Installs everything mtkfs needs to build, test and run, from Debian 12 packages.
# Usage: scripts/install-deps.sh   (no arguments; apt-get through sudo unless run as root)
set -euo pipefail
here=.; [[ ${BASH_SOURCE[0]} == */* ]] && here=${BASH_SOURCE[0]%/*}  # builtins only: --help needs no PATH
source "$here/usage.sh"  # usage: the header above, for --help
case "${1:-}" in
  "") ;;
  -h | --help) usage; exit 0 ;;
  *) echo "install-deps.sh: unknown argument $1 (it takes none; see --help)" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
packages=(
  build-essential cmake pkg-config g++ clang
  libfuse3-dev fuse3 libusb-1.0-0-dev libspdlog-dev libfmt-dev libcli11-dev
  libumockdev-dev umockdev
  dpkg-dev file
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev zlib1g-dev
  e2fsprogs fdisk gdisk util-linux kmod coreutils
  dosfstools exfatprogs mtools exfat-fuse
  python3
)
# Nothing to do (and no apt-get at all) when every package is already installed: re-running
# scripts/test.sh on a prepared machine does not spend time on packages.
missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}\n' "$package" 2>/dev/null || true)
  if ! grep -qx installed <<<"$status"; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
