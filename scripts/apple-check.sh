#!/usr/bin/env bash
# Type-check and lint mountbench for macOS on a Linux machine: the library, the binary, the
# tests and the benches, for aarch64-apple-darwin and x86_64-apple-darwin, with clippy's
# -D warnings. Nothing is linked, so no Apple SDK is needed (see docs/macos.md).
#
# It uses Debian's rustc 1.96 with its standard library's source (-Zbuild-std; reached on a
# stable compiler through RUSTC_BOOTSTRAP=1) and its own target folder, beside the rustup
# toolchain that builds and tests the project. Installs those packages when missing (root).
#
# usage: scripts/apple-check.sh [TARGET ...]   (default: both Apple targets)
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(aarch64-apple-darwin x86_64-apple-darwin)
target_dir=${MOUNTBENCH_APPLE_TARGET_DIR:-target/apple}

say() { printf '[apple-check] %s\n' "$*" >&2; }

if [[ ! -x /usr/bin/cargo-clippy || ! -d /usr/lib/rustlib/src/rust/library ]]; then
  [[ $(id -u) == 0 ]] || { say "needs Debian's rustc-web, cargo-web, rust-web-src and rust-web-clippy (run as root to install them)"; exit 1; }
  say "installing Debian's rustc-web, cargo-web, rust-web-src, rust-web-clippy"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src rust-web-clippy >/dev/null
fi

for target in "${targets[@]}"; do
  t0=$SECONDS
  cc_var=${target//-/_}
  # criterion's alloca compiles C with the cc crate; a check links nothing, so a no-op
  # compiler stands in for the missing Apple one.
  env "CC_$cc_var=/bin/true" "AR_$cc_var=/bin/true" \
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 PATH="/usr/bin:$PATH" \
    /usr/bin/cargo clippy -Zbuild-std=std,panic_abort --target "$target" --all-targets \
      --target-dir "$target_dir" --quiet -- -D warnings
  say "$target: checked and linted clean in $((SECONDS - t0)) s"
done
