#!/usr/bin/env bash
# The agent on an engine of another architecture, end to end (issue #24): cross-build the
# static aarch64 agent, build and boot the arm64 test VM engine, run tests/arm64_engine.rs
# against it with the engine required, stop the VM by its pids on exit (also on failure).
# Not part of .ci/run: from nothing it takes ~15 min on 2 cores (VM build ~7 min, cross-build
# ~5 min, boot ~30 s, test ~2-3 min), half of CI's whole budget; see docs/macos-agent.md.
# Needs root (engine.sh). Every cargo command holds /tmp/mountbench-cargo.lock.
# usage: scripts/agent/arm64-test.sh     env: MB_ARM64_PORT (23760), MB_ARM64_SHARE
set -euo pipefail
cd "$(dirname "$0")/../.."
port=${MB_ARM64_PORT:-23760}
share=${MB_ARM64_SHARE:-/tmp/mountbench-arm64-share}
log() { printf '[arm64] %s\n' "$*"; }

started=0
stop_vm() { if [[ $started == 1 ]]; then scripts/vm/engine.sh stop --arch arm64 || true; fi; }
trap stop_vm EXIT

t0=$SECONDS
agent=$(scripts/agent/cross.sh aarch64)
log "static aarch64 agent in $((SECONDS - t0)) s: $agent"

t0=$SECONDS
mkdir -p "$share"
scripts/vm/engine.sh build --arch arm64
log "arm64 VM built in $((SECONDS - t0)) s"
t0=$SECONDS
started=1
scripts/vm/engine.sh start --arch arm64 --share "$share" --port "$port" --mem 2G
log "arm64 VM engine up in $((SECONDS - t0)) s"

t0=$SECONDS
MOUNTBENCH_ARM64_DOCKER_HOST=tcp://127.0.0.1:$port MOUNTBENCH_ARM64_SHARE=$share \
  MOUNTBENCH_ARM64_AGENT=$agent MOUNTBENCH_REQUIRE_ARM64_ENGINE=1 \
  flock /tmp/mountbench-cargo.lock cargo test --test tests arm64_engine -- --nocapture
log "cargo test --test tests arm64_engine took $((SECONDS - t0)) s"
