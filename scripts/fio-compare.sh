#!/usr/bin/env bash
# mountbench's native figures against fio on the same files, block size, threads and warm
# cache state; medians of 7 runs on both sides. Needs fio (Debian: apt-get install fio), a
# release build, and root for the tmpfs part (it mounts a tmpfs).
#
#   seq-read     2 fio jobs, each reading half the shards front to back, bs 1 MiB, psync
#   small-files  2 fio jobs, each over half the files (hard links in two folders, opendir),
#                one read per file. fio reads a file in whole blocks only, so the files
#                here all have one size (112 KiB, sigma 0) and fio's block is that size;
#                mountbench reads each in one call too.
#   checkpoint   1 fio job writing 128 MiB in 8 MiB blocks to a new file then fsync
#                (end_fsync), vs our write-fsync (open, write, fsync: the same syscalls
#                with --fallocate=none); our full save (+ rename + folder fsync) beside it.
#                fio's default preallocates the file first (fallocate), which a checkpoint
#                writer such as torch.save does not; that variant is shown too. Disk
#                writes on a VM swing a lot from one second to the next (here 190-680 MiB/s
#                for the same fio job), so the three run in rounds, in rotating order, 21
#                rounds; each figure is the median of the per-round ratios with a
#                bootstrap 95% CI.
#   tmpfs        the seq-read above on a host tmpfs, and mountbench's tmpfs target
#
# fio's buffers are mmap'ed (--iomem=mmap): its default malloc'ed buffer starts 16 bytes past
# a page boundary, and on AMD Zen 3 the kernel's copy of a cached page to such an address is
# ~5x slower (measured: 59 µs per 110 KiB read at page offset 1-16 against 10-13 µs at any
# other offset), so fio 3.33 would read the page cache at ~1.3 GB/s instead of ~6 GB/s.
# mountbench's buffers are page-aligned.
# Usage: scripts/fio-compare.sh [seq-read] [small-files] [checkpoint] [tmpfs]   (default: all)
# env: MOUNTBENCH_BIN, the mountbench to compare (default target/release/mountbench).
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${MOUNTBENCH_BIN:-$PWD/target/release/mountbench}
work=$(mktemp -d)
data=$work/data
trap 'umount "$work/tmpfs" 2>/dev/null || true; rm -rf "$work"' EXIT
reps=7
sections=" ${*:-seq-read small-files checkpoint tmpfs} "
want() { [[ $sections == *" $1 "* ]]; }
wl=$work/fio-compare.toml
cat > "$wl" <<'TOML'
[run]
targets = ["native"]
[targets.tmpfs]
size = "1GiB"
[targets.container]
memory = "2GiB"
[[workload]]
kind = "seq-read"
name = "seq-read"
shards = 8
shard_size = "64MiB"
block_size = "1MiB"
threads = 2
[[workload]]
kind = "small-files"
name = "small-files"
dirs = 16
files_per_dir = 256
median_size = "112KiB"
sigma = 0.0
threads = 2
[[workload]]
kind = "checkpoint"
name = "checkpoint"
size = "128MiB"
chunk_size = "8MiB"
keep = 2
TOML

$mb run -q -w "$wl" --only seq-read,small-files --reps $reps --data-dir "$data" --out "$work/mb" >/dev/null
median_of() { python3 -c 'import statistics,sys; print(round(statistics.median(float(x) for x in sys.argv[1:]),1))' "$@"; }
mb_median() { awk -F, -v w="$2" -v m="$3" 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next} $h["workload"]==w && $h["metric"]==m && $h["target"]==t {printf "%.1f\n", $h["median_mib_s"]}' t="$4" "$1/summary.csv"; }
fio_bw() { fio --output-format=json --invalidate=0 --iomem=mmap "$@" | sed -n '/^{/,$p' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(j["read"]["bw_bytes"]+j["write"]["bw_bytes"] for j in d["jobs"])/2**20)'; }
fio_median() { local all=(); for _ in $(seq $reps); do all+=("$(fio_bw "$@")"); done; median_of "${all[@]}"; }
ratio() { python3 -c "print(round($1/$2, 3))"; }
dataset() { ls -d "$1"/host/datasets/"$2"-* | grep -v '\.lock$' | head -1; }

shard_jobs() {
  local dir=$1 files=("$1"/shard-*.bin) even="" odd="" i
  for i in "${!files[@]}"; do
    if (( i % 2 == 0 )); then even+="${files[$i]}:"; else odd+="${files[$i]}:"; fi
  done
  cat "${files[@]}" >/dev/null
  echo --ioengine=psync --rw=read --bs=1M --file_service_type=sequential \
    --name=a --filename="${even%:}" --name=b --filename="${odd%:}"
}

if want seq-read; then
shards=$(dataset "$data" shards)
ours=$(mb_median "$work/mb" seq-read read native)
theirs=$(fio_median $(shard_jobs "$shards"))
echo "seq-read     mountbench $ours MiB/s   fio $theirs MiB/s   ratio $(ratio "$ours" "$theirs")"
fi

if want small-files; then
small=$(dataset "$data" small-files)
mkdir -p "$work/links/a" "$work/links/b"
n=0
while IFS=$'\t' read -r rel _ _; do
  half=$([ $((n % 2)) = 0 ] && echo a || echo b)
  ln "$small/$rel" "$work/links/$half/$(echo "$rel" | tr / _)"
  n=$((n + 1))
done < "$small/manifest.tsv"
cat "$small"/d*/* >/dev/null
ours=$(mb_median "$work/mb" small-files scan native)
theirs=$(fio_median --ioengine=psync --rw=read --bs=112k --file_service_type=sequential \
  --name=a --opendir="$work/links/a" --name=b --opendir="$work/links/b")
echo "small-files  mountbench $ours MiB/s   fio $theirs MiB/s   ratio $(ratio "$ours" "$theirs")   ($n files)"
fi

if want checkpoint; then
target="$work/fio-ckpt.bin"
ours_all=() save_all=() fio_none=() fio_alloc=()
fio_ckpt() {
  local -n into=$1
  into+=("$(fio_bw --ioengine=psync --rw=write --bs=8M --size=128M --end_fsync=1 --fallocate="$2" --name=c --filename="$target")")
  rm -f "$target"
}
mb_ckpt() {
  $mb run -q -w "$wl" --only checkpoint --reps 1 --warmup 0 --data-dir "$data" --out "$work/mb-ckpt-$1" >/dev/null
  ours_all+=("$(mb_median "$work/mb-ckpt-$1" checkpoint write-fsync native)")
  save_all+=("$(mb_median "$work/mb-ckpt-$1" checkpoint save native)")
}
for i in $(seq 21); do
  case $(( i % 3 )) in
    0) mb_ckpt "$i"; fio_ckpt fio_none none; fio_ckpt fio_alloc native ;;
    1) fio_ckpt fio_none none; fio_ckpt fio_alloc native; mb_ckpt "$i" ;;
    2) fio_ckpt fio_alloc native; mb_ckpt "$i"; fio_ckpt fio_none none ;;
  esac
done
python3 - "${#ours_all[@]}" "${ours_all[@]}" "${save_all[@]}" "${fio_none[@]}" "${fio_alloc[@]}" <<'PY'
import random, statistics as st, sys
n = int(sys.argv[1]); v = [float(x) for x in sys.argv[2:]]
ours, save, none, alloc = (v[i * n:(i + 1) * n] for i in range(4))
rng = random.Random(1)
for name, mine in (("write-fsync", ours), ("save", save)):
    for label, fio in (("fio", none), ("fio --fallocate=native", alloc)):
        ratios = [o / f for o, f in zip(mine, fio)]
        boot = sorted(st.median(rng.choices(ratios, k=n)) for _ in range(10000))
        print(f"checkpoint   mountbench {name} {st.median(mine):.1f} MiB/s   {label} {st.median(fio):.1f} MiB/s   "
              f"ratio {st.median(ratios):.3f} [{boot[250]:.3f}-{boot[9749]:.3f}]")
print(f"             (median of the per-round ratios over {n} rounds in rotating order, bootstrap 95% CI)")
PY
fi

if want tmpfs; then
# 2 GiB: the 512 MiB of shards and their margin, and the 1 GiB the space preflight keeps free.
if mkdir -p "$work/tmpfs" && mount -t tmpfs -o size=2g tmpfs "$work/tmpfs" 2>/dev/null; then
  $mb run -q -w "$wl" --only seq-read --targets native --reps $reps --data-dir "$work/tmpfs/data" --out "$work/mb-tmpfs-native" >/dev/null
  theirs=$(fio_median $(shard_jobs "$(dataset "$work/tmpfs/data" shards)"))
  ours=$(mb_median "$work/mb-tmpfs-native" seq-read read native)
  echo "tmpfs        mountbench native on a tmpfs $ours MiB/s   fio on it $theirs MiB/s   ratio $(ratio "$ours" "$theirs")"
  if docker info >/dev/null 2>&1; then
    $mb run -q -w "$wl" --only seq-read --targets tmpfs --reps $reps --data-dir "$data" --out "$work/mb-tmpfs" >/dev/null
    ours=$(mb_median "$work/mb-tmpfs" seq-read read tmpfs)
    echo "tmpfs        mountbench tmpfs target $ours MiB/s   fio on a host tmpfs $theirs MiB/s   ratio $(ratio "$ours" "$theirs")"
  fi
else
  echo "tmpfs        skipped: mounting a tmpfs needs root"
fi
fi
