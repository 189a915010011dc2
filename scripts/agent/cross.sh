#!/usr/bin/env bash
# Cross-build a static Linux mountbench agent for another CPU architecture (issue #24): the
# binary mountbench packs FROM scratch for an engine that cannot run the host's binary (a Mac's
# Linux VM is linux/arm64; our arm64 test VM engine is one too).
#
# Recipe (measured in /work/shared/PLATFORMS.md): Debian's rustc 1.96 with its standard
# library's source (rustc-web cargo-web rust-web-src) builds std for the target from source
# (-Zbuild-std; RUSTC_BOOTSTRAP=1 is how a stable compiler reaches it), Debian's cross gcc
# links, glibc's static archives make it static (+crt-static). Its own target dir, so it and
# the rustup toolchain never rebuild each other's work.
#
# Writes target/agent/<arch>/mountbench, the place mountbench looks for an agent of that
# architecture when no --agent-binary / MOUNTBENCH_AGENT_BINARY matches.
#
# usage: scripts/agent/cross.sh [aarch64|x86_64]     (default aarch64)
#   env: MOUNTBENCH_CROSS_TARGET_DIR (default target/cross), MOUNTBENCH_CARGO_LOCK (a file to
#        flock around cargo, default /tmp/mountbench-cargo.lock; empty: no lock), NICE (10)
# On a Mac (documented, not run here): see docs/macos-agent.md.
set -euo pipefail
arch=${1:-aarch64}
repo=$(cd "$(dirname "$0")/../.." && pwd)
target_dir=${MOUNTBENCH_CROSS_TARGET_DIR:-$repo/target/cross}
lock=${MOUNTBENCH_CARGO_LOCK-/tmp/mountbench-cargo.lock}
die() { printf 'cross.sh: error: %s\n' "$*" >&2; exit 1; }

case $arch in
  aarch64 | arm64) arch=aarch64; triple=aarch64-unknown-linux-gnu; gcc=aarch64-linux-gnu-gcc
    debs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
  x86_64 | amd64) arch=x86_64; triple=x86_64-unknown-linux-gnu; gcc=x86_64-linux-gnu-gcc
    debs=(gcc-x86-64-linux-gnu libc6-dev-amd64-cross) ;;
  *) die "architecture '$arch': aarch64 or x86_64" ;;
esac
out=$repo/target/agent/$arch/mountbench

# Debian packages: the compiler with std's source, and the cross linker with glibc's archives.
missing=()
for p in rustc-web cargo-web rust-web-src "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || die "missing Debian packages (as root: apt-get install ${missing[*]})"
  echo "cross.sh: installing ${missing[*]}" >&2
  apt-cache show "${missing[0]}" >/dev/null 2>&1 || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v "$gcc" >/dev/null || die "$gcc not found after installing ${debs[*]}"

env_triple=${triple//-/_}
locked=()
[[ -n $lock ]] && locked=(flock "$lock")
t0=$SECONDS
env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
  "CARGO_TARGET_${env_triple^^}_LINKER=$gcc" \
  "CARGO_TARGET_${env_triple^^}_RUSTFLAGS=-C target-feature=+crt-static" \
  "CC_${env_triple}=$gcc" \
  "${locked[@]}" nice -n "${NICE:-10}" /usr/bin/cargo build --manifest-path "$repo/Cargo.toml" \
    -Zbuild-std=std,panic_abort --target "$triple" --release --bin mountbench \
    --target-dir "$target_dir"
built=$target_dir/$triple/release/mountbench
file_says=$(file -b "$built")
case $file_says in
  *"statically linked"* | *"static-pie linked"*) ;;
  *) die "$built is not static: $file_says" ;;
esac
mkdir -p "$(dirname "$out")"
cp "$built" "$out.tmp" && mv "$out.tmp" "$out"
echo "cross.sh: $out ($arch, static, $(du -h "$out" | cut -f1)) in $((SECONDS - t0)) s" >&2
echo "$out"
