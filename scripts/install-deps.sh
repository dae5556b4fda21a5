#!/usr/bin/env bash
# Installs everything mtkfs needs to build, test and run, from Debian 12 packages.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
packages=(
  build-essential cmake pkg-config g++ clang
  libfuse3-dev fuse3 libusb-1.0-0-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev zlib1g-dev
  e2fsprogs fdisk gdisk util-linux kmod coreutils
)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"
