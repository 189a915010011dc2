#!/usr/bin/env bash
# A Docker Swarm of N nodes on this machine, for mountbench's fleet tests (issue #25).
#
#   scripts/swarm/nodes.sh start N     N dockerd instances, each in its own network, UTS and
#                                      mount namespace; node 1 inits the swarm, the others
#                                      join; prints DOCKER_HOST=unix://... for the manager and
#                                      MOUNTBENCH_SWARM_NODES=<every node's socket, space separated>
#   scripts/swarm/nodes.sh stop        ends every process it started, by pid, and removes the
#                                      namespaces, the bridge and all node state
#   scripts/swarm/nodes.sh status      one line per node; exit 0 all answer, 1 some do not,
#                                      3 none started
#   scripts/swarm/nodes.sh load [IMAGE...]  copies IMAGE (default: every agent image
#                                      mountbench packed on node 1) from node 1 to every other
#                                      node (docker save | docker load; no registry needed)
#   scripts/swarm/nodes.sh kill K      SIGKILLs every process of node K (its dockerd, containerd
#                                      and containers): a machine that dies mid-run
#
# Node K: namespace mbswarmK, veth mbsK-h into bridge mbswarm0 (10.213.37.1/24 on the host),
# address 10.213.37.(10+K), hostname mb-node-K, its own --data-root, --exec-root, --pidfile,
# managed containerd, the fuse-overlayfs storage driver (MOUNTBENCH_SWARM_STORAGE_DRIVER), cgroup parent /mountbench-swarm-nodeK, socket
# unix:///run/mountbench-swarm/nodeK.sock. In its mount namespace the folder
# /var/lib/mountbench-swarm/data is its own (/var/lib/mountbench-swarm/nodeK/data), so a fleet
# run with --data-dir /var/lib/mountbench-swarm/data gets a separate data dir on every node.
#
# The machine's own dockerd (/var/run/docker.sock) and its swarm state are never touched.
# Processes are found by pid only: the pidfile, the node's namespace (ip netns pids) and its
# cgroups (cgroup.procs under the node's cgroup parent). Needs root.
set -euo pipefail

RUN_DIR=/run/mountbench-swarm
STATE_DIR=/var/lib/mountbench-swarm
DATA_POINT=$STATE_DIR/data
BRIDGE=mbswarm0
NET=10.213.37
START_TIMEOUT=${MOUNTBENCH_SWARM_START_TIMEOUT:-60}

die() { printf 'nodes.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf '[mb-swarm] %s\n' "$*" >&2; }
[[ $(id -u) == 0 ]] || die "needs root (namespaces, dockerd)"

ns() { echo "mbswarm$1"; }
sock() { echo "$RUN_DIR/node$1.sock"; }
addr() { echo "$NET.$((10 + $1))"; }
node_docker() { local k=$1; shift; DOCKER_HOST="unix://$(sock "$k")" docker "$@"; }
nodes() { # the numbers of the nodes started, from the state folders
  local d
  for d in "$RUN_DIR"/node*/; do
    [[ -d $d ]] || continue
    d=${d%/}; echo "${d##*node}"
  done | sort -n
}

# Every pid of node K: in its network namespace (dockerd, containerd, shims) and in its
# containers' cgroups (a container with no network has its own namespace).
node_pids() {
  local k=$1 f
  ip netns pids "$(ns "$k")" 2>/dev/null || true
  for f in /sys/fs/cgroup/*/mountbench-swarm-node"$k"/*/cgroup.procs \
           /sys/fs/cgroup/mountbench-swarm-node"$k"/*/cgroup.procs; do
    [[ -r $f ]] && cat "$f"
  done
  true
}

kill_node() { # K SIGNAL
  local k=$1 sig=$2 pid
  for pid in $(node_pids "$k" | sort -un); do kill "-$sig" "$pid" 2>/dev/null || true; done
}

bridge_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  # The main engine sets FORWARD to DROP and bridged frames pass iptables (br_netfilter):
  # let the nodes talk to each other on their bridge only. Removed by `stop`.
  if ! iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; then
    iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  fi
}

netns_up() { # K
  local k=$1 n h
  n=$(ns "$k"); h="mbs$k-h"
  ip netns add "$n"
  ip link add "$h" type veth peer name eth0 netns "$n"
  ip link set "$h" master "$BRIDGE" up
  ip -n "$n" addr add "$(addr "$k")/24" dev eth0
  ip -n "$n" link set eth0 up
  ip -n "$n" link set lo up
}

# dockerd in the node's namespaces: its own hostname and its own data folder at DATA_POINT.
dockerd_up() { # K
  local k=$1 dir=$RUN_DIR/node$1 state=$STATE_DIR/node$1
  mkdir -p "$dir/exec" "$state/docker" "$state/data" "$DATA_POINT"
  # Its own (empty) config: the machine's /etc/docker/daemon.json is for the main engine.
  echo '{}' >"$dir/daemon.json"
  # nsenter, not `ip netns exec`: that remounts /sys and hides the cgroup mounts dockerd needs.
  nsenter --net="/run/netns/$(ns "$k")" unshare --uts --mount --propagation private sh -c '
    hostname "mb-node-$1"
    mount --bind "$2/data" "$3"
    exec dockerd --config-file "$4/daemon.json" --data-root "$2/docker" --exec-root "$4/exec" --pidfile "$4/dockerd.pid" \
      -H "unix://$5" --storage-driver "${MOUNTBENCH_SWARM_STORAGE_DRIVER:-fuse-overlayfs}" --bridge none --iptables=false --ip-masq=false \
      --cgroup-parent "/mountbench-swarm-node$1" --log-driver json-file
  ' sh "$k" "$state" "$DATA_POINT" "$dir" "$(sock "$k")" >"$dir/dockerd.log" 2>&1 &
  echo $! >"$dir/launcher.pid"
  local t=0
  until node_docker "$k" info >/dev/null 2>&1; do
    t=$((t + 1))
    if (( t > START_TIMEOUT )) || ! kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null; then
      tail -n 20 "$dir/dockerd.log" >&2
      die "node $k: dockerd did not answer (or exited) within ${START_TIMEOUT}s (log: $dir/dockerd.log)"
    fi
    sleep 1
  done
}

start() {
  local n=${1:-}
  [[ $n =~ ^[1-9][0-9]?$ ]] || die "start needs a node count (1-99), got '${n}'"
  [[ -z $(nodes) ]] || die "nodes are already started (nodes.sh stop first)"
  mkdir -p "$RUN_DIR"
  bridge_up
  local k
  for k in $(seq 1 "$n"); do
    mkdir -p "$RUN_DIR/node$k"
    netns_up "$k"
    dockerd_up "$k"
    say "node $k up: $(addr "$k"), $(sock "$k")"
  done
  node_docker 1 swarm init --advertise-addr "$(addr 1)" --listen-addr "$(addr 1):2377" >/dev/null
  local token
  token=$(node_docker 1 swarm join-token -q worker)
  for k in $(seq 2 "$n"); do
    node_docker "$k" swarm join --token "$token" --advertise-addr "$(addr "$k")" \
      --listen-addr "$(addr "$k"):2377" "$(addr 1):2377" >/dev/null
  done
  # Labels to choose nodes by: every node its number, and a rack by parity.
  for k in $(seq 1 "$n"); do
    local id
    id=$(node_docker "$k" info --format '{{.Swarm.NodeID}}')
    node_docker 1 node update --label-add "mountbench.node=$k" \
      --label-add "rack=$([[ $((k % 2)) == 1 ]] && echo odd || echo even)" "$id" >/dev/null
  done
  say "swarm of $n nodes ready"
  echo "DOCKER_HOST=unix://$(sock 1)"
  local all=""
  for k in $(seq 1 "$n"); do all+="unix://$(sock "$k") "; done
  echo "MOUNTBENCH_SWARM_NODES=${all% }"
}

stop_node() { # K
  local k=$1 dir=$RUN_DIR/node$1 pid t
  if node_docker "$k" info >/dev/null 2>&1; then
    node_docker "$k" swarm leave --force >/dev/null 2>&1 || true
  fi
  pid=$(cat "$dir/dockerd.pid" 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for t in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  # Whatever is left (a killed dockerd's containerd, shims, containers): by pid.
  kill_node "$k" KILL
  for t in $(seq 1 20); do [[ -z $(node_pids "$k") ]] && break; sleep 0.25; done
  local f
  for f in /sys/fs/cgroup/*/mountbench-swarm-node"$k" /sys/fs/cgroup/mountbench-swarm-node"$k"; do
    [[ -d $f ]] || continue
    find "$f" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  ip netns del "$(ns "$k")" 2>/dev/null || true
  ip link del "mbs$k-h" 2>/dev/null || true
  rm -rf "$dir" "${STATE_DIR:?}/node$k" "$(sock "$k")"
}

stop() {
  local k
  for k in $(nodes); do stop_node "$k"; say "node $k stopped"; done
  ip link del "$BRIDGE" 2>/dev/null || true
  while iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do
    iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  done
  rmdir "$DATA_POINT" 2>/dev/null || true
  rmdir "$STATE_DIR" "$RUN_DIR" 2>/dev/null || true
}

status() {
  local k any=0 bad=0
  for k in $(nodes); do
    any=1
    if node_docker "$k" info >/dev/null 2>&1; then
      echo "node $k: up, swarm $(node_docker "$k" info --format '{{.Swarm.LocalNodeState}}'), unix://$(sock "$k")"
    else
      echo "node $k: not answering"; bad=1
    fi
  done
  (( any )) || { echo "no nodes started"; exit 3; }
  exit "$bad"
}

# Copy images from node 1 to every other node: IMAGE, or (none given) every agent image
# mountbench packed there (label io.mountbench=agent).
load() {
  local images=("$@") k
  if (( ${#images[@]} == 0 )); then
    mapfile -t images < <(node_docker 1 images --filter label=io.mountbench=agent \
      --format '{{.Repository}}:{{.Tag}}')
  fi
  (( ${#images[@]} > 0 )) || die "node 1 has no agent image (a fleet run packs one there)"
  for k in $(nodes); do
    [[ $k == 1 ]] && continue
    node_docker 1 save "${images[@]}" | node_docker "$k" load >/dev/null
    say "node $k: loaded ${images[*]}"
  done
}

case ${1:-} in
  start) start "${2:-}" ;;
  stop) stop ;;
  status) status ;;
  load) shift; load "$@" ;;
  kill)
    [[ ${2:-} =~ ^[0-9]+$ && -d $RUN_DIR/node${2:-x} ]] || die "kill needs a started node number"
    kill_node "$2" KILL ;;
  *) die "usage: nodes.sh start N | stop | status | load [IMAGE...] | kill K" ;;
esac
