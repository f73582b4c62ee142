#!/usr/bin/env bash
# Installs the Debian packages the project needs beyond npm, when they are missing:
# nats-server (the lattice's transport, used by `wash up` and the tests); clang-14 with lld and
# wasi-libc (to build the example actors written in C); docker-registry and skopeo (a real OCI
# registry for the OCI tests, and an independent reader of what we push); chromium (the
# dashboard's browser tests); golang-go with sprig and sigs.k8s.io/yaml (the Helm chart's
# test renderer, built offline); libjemalloc2 (the allocator host/memory-settings.ts gives the host);
# prometheus (a real server scraping a lattice's /metrics in test/e2e/prometheus.test.ts).
# Run by `npm install` (postinstall). Needs root and apt-get; otherwise it says what to install.
set -euo pipefail

packages=()
command -v nats-server >/dev/null 2>&1 || packages+=(nats-server)
command -v clang-14 >/dev/null 2>&1 || packages+=(clang-14)
command -v wasm-ld-14 >/dev/null 2>&1 || packages+=(lld-14)
[ -d /usr/include/wasm32-wasi ] || packages+=(wasi-libc)
ls /usr/lib/llvm-14/lib/clang/14*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 || packages+=(libclang-rt-14-dev-wasm32)
command -v docker-registry >/dev/null 2>&1 || packages+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || packages+=(skopeo)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v prometheus >/dev/null 2>&1 || packages+=(prometheus)
command -v go >/dev/null 2>&1 || packages+=(golang-go)
[ -n "$(ls /usr/lib/*/libjemalloc.so.2 /usr/lib64/libjemalloc.so.2 2>/dev/null)" ] || packages+=(libjemalloc2)
[ -d /usr/share/gocode/src/github.com/Masterminds/sprig ] || packages+=(golang-github-masterminds-sprig-dev)
[ -d /usr/share/gocode/src/sigs.k8s.io/yaml ] || packages+=(golang-k8s-sigs-yaml-dev)

[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "wasmcloud-ts: installing Debian packages: ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}"
else
  echo "wasmcloud-ts: please install these Debian packages: ${packages[*]} (sudo apt-get install ${packages[*]})" >&2
fi
