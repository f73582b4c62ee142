#!/usr/bin/env bash
# Installs the Debian packages the project needs beyond npm, when they are missing:
# nats-server (the lattice's transport, used by `wash up` and the tests).
# Run by `npm install` (postinstall). Needs root and apt-get; otherwise it says what to install.
set -euo pipefail

packages=()
command -v nats-server >/dev/null 2>&1 || packages+=(nats-server)

[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "wasmcloud-ts: installing Debian packages: ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}"
else
  echo "wasmcloud-ts: please install these Debian packages: ${packages[*]} (sudo apt-get install ${packages[*]})" >&2
fi
