#!/usr/bin/env bash
# Make sure the Debian packages parity builds and tests with are installed. As root it
# installs what is missing with apt-get; otherwise it names the missing packages and
# fails, so `make` stops with a message a person can act on.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libltdl-dev libjansson-dev libcurl4-openssl-dev libsqlite3-dev libsodium-dev
  libcmocka-dev libmicrohttpd-dev zlib1g-dev libgit2-dev
  sqlite3 git python3 python3-yaml curl libxml2-utils
)
# Optional extras: the CI script asks for them with --extra.
extras=(clang libclang-rt-14-dev valgrind jq sqlite3-tools)
if [[ ${1:-} == --extra ]]; then
  packages+=("${extras[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "parity: missing Debian packages: ${missing[*]}" >&2
  echo "parity: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "parity: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
