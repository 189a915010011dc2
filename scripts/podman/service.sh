#!/usr/bin/env bash
# Podman's Docker-compatible API service for mountbench (issue #16): rootful
# `podman system service` on a unix socket, started in the background and stopped by its pid.
#
#   scripts/podman/service.sh start [--socket PATH] [--timeout SECONDS]
#       installs Debian's podman if missing, starts the service (its own process group),
#       waits until the API answers, prints DOCKER_HOST=unix://PATH on stdout
#   scripts/podman/service.sh stop      TERM the recorded pid, up to 10 s, then KILL; verified
#   scripts/podman/service.sh status    exit 0 running and answering, 1 running but silent,
#                                       3 not running
#   scripts/podman/service.sh env       the DOCKER_HOST line of the running service
#
# The pid is recorded with its start time (field 22 of /proc/PID/stat), so a later process that
# got the same pid is never signalled. Nothing is ever killed by name. Containers that the
# service started are run by conmon outside the service's process group and outlive it (as with
# Podman everywhere); `stop` reports them, it does not end them.
#
# Needs root (apt-get, a rootful service). Rootless Podman listens on
# unix://$XDG_RUNTIME_DIR/podman/podman.sock (/run/user/UID/podman/podman.sock) instead; this
# script does not run it.
set -euo pipefail

STATE_DIR=${MOUNTBENCH_PODMAN_STATE_DIR:-/run/mountbench-podman}
DEFAULT_SOCKET=/run/podman/podman.sock
START_TIMEOUT=${MOUNTBENCH_PODMAN_START_TIMEOUT:-60}

T_START=${EPOCHREALTIME/./}
elapsed_since() { # microsecond stamp -> "12.3"
  local us=$(( ${EPOCHREALTIME/./} - $1 ))
  printf '%d.%01d' $(( us / 1000000 )) $(( us % 1000000 / 100000 ))
}
say() { printf '[mb-podman %5ss] %s\n' "$(elapsed_since "$T_START")" "$*" >&2; }
die() { printf 'service.sh: error: %s\n' "$*" >&2; exit 1; }
need_root() { [[ $(id -u) == 0 ]] || die "'$1' needs root (apt-get, a rootful podman service)"; }

# ------------------------------------------------------------------------------ pid records
stat_fields() { # pid -> the fields of /proc/PID/stat after "(comm)" (comm may hold spaces)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  echo "${stat##*) }"
}
proc_starttime() {
  local -a f
  read -ra f <<< "$(stat_fields "$1")" && ((${#f[@]} > 19)) || return 1
  echo "${f[19]}"                           # field 22 of stat (state is field 3, f[0])
}
proc_pgid() {
  local -a f
  read -ra f <<< "$(stat_fields "$1")" && ((${#f[@]} > 2)) || return 1
  echo "${f[2]}"                            # field 5 of stat
}
# True when the process recorded in file $1 ("PID STARTTIME") is still that process and has
# not exited: the service is reparented to pid 1 when this script ends, and a zombie stays in
# /proc (state Z) until pid 1 reaps it, which here can take a while.
recorded_alive() {
  local pid start
  local -a f
  [[ -f $1 ]] || return 1
  read -r pid start < "$1" || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  read -ra f <<< "$(stat_fields "$pid")" && ((${#f[@]} > 19)) || return 1
  [[ ${f[19]} == "$start" && ${f[0]} != [ZX] ]]
}
recorded_pid() { local pid _; read -r pid _ < "$1"; echo "$pid"; }
# Live (not zombie) members of process group $1 (the service leads its own group: setsid).
group_members() {
  local d pid
  local -a f
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    read -ra f <<< "$(stat_fields "$pid")" || continue
    [[ ${f[2]:-} == "$1" && ${f[0]:-} != [ZX] ]] && echo "$pid"
  done
  return 0
}

take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/lock"
  flock -n 9 || die "another service.sh start/stop holds $STATE_DIR/lock"
}

# "OK" from /_ping, then the engine's version from /version.
api_answers() { # socket -> prints the version
  local sock=$1 ping version
  [[ -S $sock ]] || return 1
  ping=$(curl -fsS --max-time 3 --unix-socket "$sock" http://d/_ping 2>/dev/null) || return 1
  [[ $ping == OK ]] || return 1
  version=$(curl -fsS --max-time 3 --unix-socket "$sock" http://d/version 2>/dev/null) || return 1
  sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' <<< "$version" | head -1
}

# ------------------------------------------------------------------------------------ install
ensure_podman() {
  if command -v podman >/dev/null 2>&1; then
    say "podman present: $(podman --version)"
    return 0
  fi
  local t0=${EPOCHREALTIME/./} updated=no
  command -v curl >/dev/null 2>&1 || missing_curl=1
  if ! apt-cache show podman >/dev/null 2>&1; then
    say "apt-get update (podman unknown to the package lists)"
    apt-get update -qq >&2
    updated=yes
  fi
  local -a pkgs=(podman)
  [[ -n ${missing_curl:-} ]] && pkgs+=(curl)
  say "installing ${pkgs[*]} (Debian)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null; then
    # an old package list names versions the archive no longer has
    [[ $updated == no ]] || die "apt-get install podman failed"
    say "install failed: apt-get update, then once more"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null \
      || die "apt-get install podman failed"
  fi
  say "installed $(podman --version) in $(elapsed_since "$t0") s"
}

# Options for a host without systemd as pid 1 (containers, CI machines): cgroupfs instead of
# systemd's cgroup manager, events to a file instead of journald.
global_options() {
  if [[ ! -d /run/systemd/system ]]; then
    echo --cgroup-manager=cgroupfs --events-backend=file
  fi
}

# Without CAP_SYS_RESOURCE (a sandboxed CI machine), runc cannot raise a container's hard
# limits, and Podman gives every container RLIMIT_NOFILE and RLIMIT_NPROC of 1048576: each start
# fails with "error setting rlimits for ready process: error setting rlimit type 7 (6):
# operation not permitted". Then the service gets a containers.conf (the distribution's, plus
# default_ulimits at the limits it can keep: its own hard limits; Podman caps its own NPROC at
# kernel.pid_max). Prints the file's path, or nothing when no such file is needed.
has_sys_resource() {
  local eff
  eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
  (( (16#$eff >> 24) & 1 ))                  # CAP_SYS_RESOURCE is bit 24
}
containers_conf() {
  has_sys_resource && return 0
  local nofile nproc pid_max base conf=$STATE_DIR/containers.conf
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  pid_max=$(cat /proc/sys/kernel/pid_max)
  [[ $nofile == unlimited ]] && nofile=1048576
  if [[ $nproc == unlimited ]] || ((nproc > pid_max)); then nproc=$pid_max; fi
  base=/usr/share/containers/containers.conf
  [[ -f /etc/containers/containers.conf ]] && base=/etc/containers/containers.conf
  if [[ -n ${CONTAINERS_CONF:-} ]]; then base=$CONTAINERS_CONF; fi
  if [[ -f $base ]] && grep -qE '^[[:space:]]*default_ulimits' "$base"; then
    return 0                                 # the operator chose limits: keep them
  fi
  {
    echo "# written by scripts/podman/service.sh: $base + default_ulimits (no CAP_SYS_RESOURCE)"
    if [[ -f $base ]] && grep -q '^\[containers\]' "$base"; then
      sed "/^\[containers\]/a default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]" "$base"
    else
      [[ -f $base ]] && cat "$base"
      printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$nofile" "$nofile" "$nproc" "$nproc"
    fi
  } > "$conf"
  echo "$conf"
}

# -------------------------------------------------------------------------------------- start
cmd_start() {
  need_root start
  local socket=$DEFAULT_SOCKET timeout=$START_TIMEOUT
  while (($#)); do
    case $1 in
      --socket) socket=${2:?--socket needs a path}; shift 2 ;;
      --socket=*) socket=${1#--socket=}; shift ;;
      --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
      *) die "start: unknown option $1 (see: service.sh help)" ;;
    esac
  done
  [[ $socket == /* ]] || die "--socket needs an absolute path, got $socket"
  take_lock
  if recorded_alive "$STATE_DIR/service.pid"; then
    local running; running=$(<"$STATE_DIR/socket")
    [[ $running == "$socket" ]] || die "already running on unix://$running (pid $(recorded_pid "$STATE_DIR/service.pid")): stop it first"
    say "already running (pid $(recorded_pid "$STATE_DIR/service.pid"))"
    echo "DOCKER_HOST=unix://$socket"
    return 0
  fi
  rm -f "$STATE_DIR/service.pid"
  if api_answers "$socket" >/dev/null; then
    die "another service already answers on unix://$socket (not started by this script): stop it by its own means"
  fi
  ensure_podman
  command -v curl >/dev/null 2>&1 || die "curl is missing"
  mkdir -p "$(dirname "$socket")"
  rm -f "$socket"                          # a stale socket file that answers nothing
  local -a opts
  read -ra opts <<< "$(global_options)"
  local conf; conf=$(containers_conf)
  local -a env=()
  if [[ -n $conf ]]; then
    env=("CONTAINERS_CONF=$conf")
    say "no CAP_SYS_RESOURCE here: containers get $(grep -m1 '^default_ulimits' "$conf") ($conf)"
  fi
  local t0=${EPOCHREALTIME/./} log=$STATE_DIR/service.log
  say "starting podman system service on unix://$socket ${opts[*]}"
  # No job control here, so the background child is no group leader: setsid makes it one
  # without forking, and $! is podman's own pid.
  env "${env[@]}" setsid podman "${opts[@]}" system service --time=0 "unix://$socket" \
    </dev/null >"$log" 2>&1 9>&- &
  local pid=$!
  local start; start=$(proc_starttime "$pid") || die "podman exited at once: $(tail -n 20 "$log")"
  echo "$pid $start" > "$STATE_DIR/service.pid"
  echo "$socket" > "$STATE_DIR/socket"
  local version="" deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    recorded_alive "$STATE_DIR/service.pid" || {
      tail -n 30 "$log" >&2; rm -f "$STATE_DIR/service.pid"; die "podman system service exited"; }
    version=$(api_answers "$socket") && break
    sleep 0.1
  done
  if [[ -z $version ]]; then
    tail -n 30 "$log" >&2
    stop_service quiet
    die "the API did not answer on unix://$socket within ${timeout}s"
  fi
  local pgid; pgid=$(proc_pgid "$pid")
  [[ $pgid == "$pid" ]] || say "warning: pid $pid is not its group's leader (pgid $pgid)"
  say "API answers in $(elapsed_since "$t0") s: podman $version, pid $pid, log $log"
  echo "DOCKER_HOST=unix://$socket"
}

# --------------------------------------------------------------------------------------- stop
stop_service() { # quiet|loud
  local file=$STATE_DIR/service.pid pid i
  [[ -f $file ]] || { [[ $1 == quiet ]] || say "not running"; return 0; }
  pid=$(recorded_pid "$file")
  if recorded_alive "$file"; then
    [[ $1 == quiet ]] || say "stopping podman system service (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do recorded_alive "$file" || break; sleep 0.1; done
    if recorded_alive "$file"; then
      say "pid $pid ignored TERM for 10 s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do recorded_alive "$file" || break; sleep 0.1; done
    fi
    recorded_alive "$file" && die "pid $pid is still running"
  else
    [[ $1 == quiet ]] || say "pid $pid had already exited"
  fi
  # The leader is gone, so a group numbered $pid can only be what is left of ours
  # (a group id stays reserved while any member lives).
  local left; left=$(group_members "$pid" | tr '\n' ' ')
  if [[ -n $left ]]; then
    say "members of its process group left: $left- TERM"
    kill -TERM -- "-$pid" 2>/dev/null || true
    sleep 1
    [[ -z $(group_members "$pid") ]] || kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$file"
  if [[ -f $STATE_DIR/socket ]]; then
    local socket; socket=$(<"$STATE_DIR/socket")
    [[ -S $socket ]] && ! api_answers "$socket" >/dev/null && rm -f "$socket"
    rm -f "$STATE_DIR/socket"
  fi
  return 0
}

cmd_stop() {
  need_root stop
  [[ -d $STATE_DIR ]] || { say "not running"; return 0; }
  take_lock
  stop_service loud
  # Containers are conmon's children, not the service's: they outlive it.
  local running
  running=$(podman "${opts_for_cli[@]}" ps -q 2>/dev/null | wc -l) || true
  ((${running:-0} == 0)) || say "note: $running podman container(s) still running (conmon keeps them; not ended here)"
  say "stopped"
}

# ------------------------------------------------------------------------------ status / env
cmd_status() {
  if ! recorded_alive "$STATE_DIR/service.pid" 2>/dev/null; then
    if [[ -f $STATE_DIR/service.pid ]]; then
      echo "not running (stale record of a service that died: service.sh stop cleans it; log: $STATE_DIR/service.log)"
    else
      echo "not running"
    fi
    return 3
  fi
  local pid socket version
  pid=$(recorded_pid "$STATE_DIR/service.pid")
  socket=$(<"$STATE_DIR/socket")
  echo "running"
  printf '  %-8s %s\n' pid "$pid" socket "unix://$socket" log "$STATE_DIR/service.log"
  if version=$(api_answers "$socket"); then
    printf '  %-8s answers (podman %s)\n' api "$version"
    return 0
  fi
  printf '  %-8s not answering\n' api
  return 1
}

cmd_env() {
  recorded_alive "$STATE_DIR/service.pid" 2>/dev/null || die "not running"
  echo "DOCKER_HOST=unix://$(<"$STATE_DIR/socket")"
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-help}
  (($#)) && shift
  read -ra opts_for_cli <<< "$(global_options)"
  case $cmd in
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    help|-h|--help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
