#!/usr/bin/env bash
# Smoke test of the test VM engine (scripts/vm/engine.sh), for each file-sharing mode given
# (default: virtiofs 9p): start a fresh guest sharing a scratch folder, then from the host with
# the docker CLI: engine facts, an image imported without a registry (static busybox), a
# container reading a host-written file through a bind mount of the shared folder (and
# writing one back), the mount types of bind / volume / tmpfs inside, then stop and check that
# no recorded process is left. Prints boot-to-API time and qemu's peak RSS per mode.
# Needs root, the docker CLI and busybox-static (engine.sh build installs the latter).
# Usage: scripts/vm/smoke.sh [virtiofs] [9p]     env: MB_SMOKE_PORT (default 23751)
set -euo pipefail
engine=$(cd "$(dirname "$0")" && pwd)/engine.sh
port=${MB_SMOKE_PORT:-23751}
share=$(mktemp -d /tmp/mb-vm-share.XXXXXX)
state=${MOUNTBENCH_VM_STATE_DIR:-${MOUNTBENCH_VM_DIR:-/var/cache/mountbench-vm}/state}
export DOCKER_HOST=tcp://127.0.0.1:$port
cleanup() { "$engine" stop >/dev/null 2>&1 || true; rm -rf "$share"; }
trap cleanup EXIT

check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then echo "  ok   $what"; else echo "  FAIL $what" >&2; exit 1; fi
}
quiet() { "$@" >/dev/null; }
mount_type_inside() { # container-path docker-run-options... -> fs type of that mount
  local path=$1; shift
  docker run --rm --network none "$@" mb-smoke:1 /bin/sh -c "grep ' $path ' /proc/mounts" \
    | awk '{print $3}'
}

modes=("$@")
((${#modes[@]})) || modes=(virtiofs 9p)
"$engine" build
for fs in "${modes[@]}"; do
    echo "== $fs"
    t0=$EPOCHREALTIME
    "$engine" start --share "$share" --fs "$fs" --port "$port"
    boot=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
    "$engine" status
    docker info --format '  engine {{.ServerVersion}}, kernel {{.KernelVersion}}, {{.Driver}}, cgroup v{{.CgroupVersion}}, {{.NCPU}} cpus'

    img=$(mktemp -d); mkdir "$img/bin"; cp "$(command -v busybox)" "$img/bin/busybox"
    for a in sh cat grep awk; do ln -s busybox "$img/bin/$a"; done
    tar -C "$img" -c . | docker import - mb-smoke:1 >/dev/null; rm -rf "$img"
    check "image imported without a registry" quiet docker image inspect mb-smoke:1

    token="written on the host $RANDOM$RANDOM"
    echo "$token" > "$share/from-host.txt"
    seen=$(docker run --rm --network none -v "$share:/data" mb-smoke:1 \
             /bin/sh -c 'cat /data/from-host.txt; echo from-container > /data/from-guest.txt')
    check "host file read inside through the bind mount" test "$seen" = "$token"
    check "container file seen on the host" grep -qx from-container "$share/from-guest.txt"
    check "bind mount is $fs inside" test "$(mount_type_inside /data -v "$share:/data")" = "$fs"
    check "named volume is ext4 (guest disk)" \
      test "$(mount_type_inside /vol -v mb-smoke-vol:/vol)" = ext4
    check "tmpfs is tmpfs" test "$(mount_type_inside /tm --tmpfs /tm)" = tmpfs
    docker volume rm mb-smoke-vol >/dev/null

    read -r qpid _ < "$state/qemu.pid"
    rss=$(awk '/^VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$qpid/status")
    pids=$(awk '{print $1}' "$state"/*.pid | paste -sd,)
    "$engine" stop
    check "no recorded process left (pids $pids)" bash -c "! ps -p '$pids' >/dev/null"
    check "no process left in their process groups" \
      bash -c "! ps -eo pgid= | tr -d ' ' | grep -qxE '(${pids//,/|})'"
    check "status says not running" bash -c "! '$engine' status >/dev/null"
    echo "  $fs: boot to API ${boot}s (incl. cached build check), qemu peak RSS $rss"
done
