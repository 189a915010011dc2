#!/usr/bin/env bash
# Does what fsync promised survive a VM engine killed hard? (issue #23)
#
# On the test VM (engine.sh, its guest disk kept with --persist), a container writes a file on
# a bind mount (the host folder shared into the VM over virtiofs or 9p) and on a named volume
# (the guest's own disk): write, fsync the file, rename it into place, fsync the folder; the
# moment the last fsync returns, qemu is killed with SIGKILL by its recorded pid. Then the
# host's folder is read (bind), the VM booted again on the same disk and the volume read.
# The same without any fsync shows what an engine loses when nobody asks (reported, not a
# failure). Exit 1 only when something fsync promised was lost.
#
# It kills the VM engine it starts itself, never another: `mountbench run` never does this.
# Needs root (engine.sh), the docker CLI and a static busybox (/bin/busybox) for the image.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ENGINE=$HERE/engine.sh
IMAGE=mountbench-durability:busybox
LABEL=io.mountbench.run=durability
VOLUME=mountbench-durability
WRITER=mountbench-durability-writer
PAYLOAD=65536                              # bytes each file holds

usage() {
  cat <<EOF
usage: scripts/vm/durability.sh [--fs virtiofs|9p] [--port 23790] [--work DIR] [--modes "fsync no-fsync"]

  --work DIR   where the shared folder, the VM's state and its kept disks go
               (default /var/tmp/mountbench-durability; emptied first)
  --modes      which writers to run: fsync (write, fsync, rename, fsync the folder) and
               no-fsync (write, rename), each on a fresh guest disk, killed and rebooted

Prints one line per mode and place, and writes them to WORK/durability.tsv:
fs, mode, place, result (kept | lost: ... | torn: ...), bytes, kill_ms (marker read to SIGKILL).
EOF
}

say() { printf '[durability %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'durability.sh: error: %s\n' "$*" >&2; exit 2; }

FS=virtiofs PORT=23790 WORK=/var/tmp/mountbench-durability MODES="fsync no-fsync"
while (($#)); do
  case $1 in
    --fs) FS=${2:?}; shift 2 ;;
    --port) PORT=${2:?}; shift 2 ;;
    --work) WORK=${2:?}; shift 2 ;;
    --modes) MODES=${2:?}; shift 2 ;;
    -h | --help | help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $FS == virtiofs || $FS == 9p ]] || die "--fs must be virtiofs or 9p"
for m in $MODES; do [[ $m == fsync || $m == no-fsync ]] || die "--modes: '$m' is not fsync or no-fsync"; done
[[ $(id -u) == 0 ]] || die "needs root (engine.sh starts qemu and virtiofsd)"
command -v docker >/dev/null || die "needs the docker CLI"
[[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || die "needs a static /bin/busybox (package busybox-static)"

export MOUNTBENCH_VM_STATE_DIR=$WORK/state
SHARE=$WORK/share
DOCKER=(docker -H "tcp://127.0.0.1:$PORT")

engine() { "$ENGINE" "$@"; }

# The recorded qemu of our state dir: its pid, if that process still is the one recorded.
qemu_pid() {
  local pid start now
  read -r pid start < "$MOUNTBENCH_VM_STATE_DIR/qemu.pid" || return 1
  now=$(awk '{sub(/.*\) /, ""); print $20}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $now == "$start" ]] && echo "$pid"
}

boot() { # persist-dir
  engine start --share "$SHARE" --fs "$FS" --port "$PORT" --persist "$1" >/dev/null
}

# A busybox image for the guest engine, imported from a rootfs tar (no registry needed).
load_image() {
  local root=$WORK/image-root a
  rm -rf "$root"; mkdir -p "$root/bin"
  cp /bin/busybox "$root/bin/busybox"
  for a in sh sync mv cat head yes ls rm sleep stat wc; do ln -s busybox "$root/bin/$a"; done
  tar -C "$root" -c . | "${DOCKER[@]}" import -c 'ENV PATH=/bin' - "$IMAGE" >/dev/null
}

# The writer's shell script: for each place, a temp file of PAYLOAD bytes, renamed into place;
# with fsync the file is fsynced before the rename and the folder after it.
writer_script() { # mode token
  local sync_file="" sync_dir=""
  [[ $1 == fsync ]] && sync_file='sync "$d/file.tmp";' && sync_dir='sync "$d";'
  cat <<EOF
for d in /bind /vol; do
  yes "$2" | head -c $PAYLOAD > "\$d/file.tmp"; $sync_file
  mv "\$d/file.tmp" "\$d/committed"; $sync_dir
done
echo COMMITTED
exec sleep 3600
EOF
}

expected() { yes "$1" | head -c "$PAYLOAD"; }

# What became of the file: kept, torn or lost, and its size.
judge_file() { # path-of-a-copy token -> "result<TAB>bytes"
  local copy=$1 size
  if [[ ! -e $copy ]]; then printf 'lost: no file\t0\n'; return; fi
  size=$(stat -c %s "$copy")
  if ((size == 0)); then printf 'lost: empty file\t0\n'
  elif cmp -s "$copy" <(expected "$2"); then printf 'kept\t%s\n' "$size"
  else printf 'torn: %s of %s bytes, content differs\t%s\n' "$size" "$PAYLOAD" "$size"
  fi
}

run_mode() { # mode
  local mode=$1 token persist=$WORK/disk-$1 pid t_read kill_ms bind=$SHARE/bind-$1
  token=mb$RANDOM$RANDOM$RANDOM
  rm -rf "$persist" "$bind"; mkdir -p "$bind"
  say "$mode: booting the VM ($FS) on a fresh kept disk"
  boot "$persist"
  load_image
  "${DOCKER[@]}" volume create --label "$LABEL" "$VOLUME" >/dev/null
  "${DOCKER[@]}" run -d --name "$WRITER" --label "$LABEL" --network none \
    -v "$bind:/bind" -v "$VOLUME:/vol" "$IMAGE" sh -c "$(writer_script "$mode" "$token")" >/dev/null
  # The marker is printed once the last fsync (or rename) returned; kill at once after.
  local log=$WORK/writer-$mode.log follower deadline=$((SECONDS + 300))
  : > "$log"
  "${DOCKER[@]}" logs -f "$WRITER" > "$log" 2>&1 &
  follower=$!
  until grep -q COMMITTED "$log"; do
    ((SECONDS < deadline)) || die "$mode: the writer never said COMMITTED (log: $log)"
    sleep 0.002
  done
  t_read=${EPOCHREALTIME/./}
  pid=$(qemu_pid) || die "$mode: no qemu of ours to kill"
  kill -KILL "$pid"
  kill_ms=$(( (${EPOCHREALTIME/./} - t_read) / 1000 ))
  say "$mode: qemu (pid $pid) killed with SIGKILL ${kill_ms} ms after the marker was read"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  kill "$follower" 2>/dev/null || true
  wait "$follower" 2>/dev/null || true
  engine stop >/dev/null 2>&1 || true
  cp "$bind/committed" "$WORK/bind-$mode.copy" 2>/dev/null || rm -f "$WORK/bind-$mode.copy"
  say "$mode: booting again on the same disk to read the volume"
  boot "$persist"
  "${DOCKER[@]}" rm -f "$WRITER" >/dev/null 2>&1 || true
  rm -f "$WORK/vol-$mode.copy"
  if "${DOCKER[@]}" run --rm --network none -v "$VOLUME:/vol" "$IMAGE" \
      sh -c 'test -e /vol/committed && cat /vol/committed' > "$WORK/vol-$mode.part"; then
    mv "$WORK/vol-$mode.part" "$WORK/vol-$mode.copy"
  fi
  rm -f "$WORK/vol-$mode.part"
  local place result
  for place in bind vol; do
    result=$(judge_file "$WORK/$place-$mode.copy" "$token")
    [[ $place == vol ]] && place=volume
    printf '%s\t%s\t%s\t%s\t%s\n' "$FS" "$mode" "$place" "$result" "$kill_ms" | tee -a "$WORK/durability.tsv"
  done
  "${DOCKER[@]}" volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  engine stop >/dev/null
  rm -rf "$persist"
}

mkdir -p "$WORK"
rm -rf "${WORK:?}/share" "$WORK/durability.tsv"
mkdir -p "$SHARE"
trap 'engine stop >/dev/null 2>&1 || true' EXIT
printf 'fs\tmode\tplace\tresult\tbytes\tkill_ms\n' > "$WORK/durability.tsv"
for mode in $MODES; do run_mode "$mode"; done
cat "$WORK/durability.tsv"
if grep -P '^[^\t]*\tfsync\t' "$WORK/durability.tsv" | cut -f4 | grep -qv '^kept$'; then
  say "something fsync promised was lost"
  exit 1
fi
