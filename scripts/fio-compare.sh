#!/usr/bin/env bash
# Compare mountbench's native figures with fio on the same files, block size, threads and
# (warm) cache state. Needs fio and a release build; prints one ratio per workload
# (seq-read and checkpoint so far).
# Usage: scripts/fio-compare.sh [workload-file]   (default workloads/quick.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
wl=${1:-workloads/quick.toml}
mb=target/release/mountbench
data=${MOUNTBENCH_DATA:-$HOME/.cache/mountbench}
out=$(mktemp -d)
$mb run -q -w "$wl" --targets native --reps 7 --out "$out/mb" >/dev/null
median() { awk -F, -v w="$1" -v m="$2" 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next} $h["workload"]==w && $h["metric"]==m {print $h["median_mib_s"]}' "$out/mb/summary.csv"; }
fio_bw() { fio --output-format=json --invalidate=0 "$@" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(j["read"]["bw_bytes"]+j["write"]["bw_bytes"] for j in d["jobs"])/2**20)'; }

ds() { python3 -c "import json,sys; e=json.load(open('$out/mb/env.json')); print('$data/host/datasets/'+[d['id'] for d in e['datasets'] if d['id'].startswith(sys.argv[1])][0])" "$1"; }
shards=$(ds shards-)
files=("$shards"/shard-*.bin)
even=$(printf '%s:' "${files[@]:0:1}" "${files[@]:2:1}" "${files[@]:4:1}" "${files[@]:6:1}"); odd=$(printf '%s:' "${files[@]:1:1}" "${files[@]:3:1}" "${files[@]:5:1}" "${files[@]:7:1}")
cat "${files[@]}" >/dev/null
best=0
for _ in 1 2 3 4 5; do
  bw=$(fio_bw --ioengine=psync --rw=read --bs=1M --file_service_type=sequential --group_reporting=0 \
    --name=a --filename="${even%:}" --name=b --filename="${odd%:}")
  best=$(python3 -c "print(max($best,$bw))")
done
echo "seq-read    mountbench $(median seq-read read) MiB/s  fio best-of-5 $best MiB/s  ratio $(python3 -c "print(round($(median seq-read read)/$best,3))")"

# small-files: not compared yet — fio takes the file list in one --filename string, which
# 4096 paths overflow; an --opendir job per directory changes the thread count.

target="$data/host/fio-ckpt.bin"
best=0
for _ in 1 2 3 4 5; do
  bw=$(fio_bw --ioengine=psync --rw=write --bs=8M --size=128M --end_fsync=1 --name=c --filename="$target")
  best=$(python3 -c "print(max($best,$bw))")
  rm -f "$target"
done
echo "checkpoint  mountbench $(median checkpoint save) MiB/s  fio best-of-5 $best MiB/s  ratio $(python3 -c "print(round($(median checkpoint save)/$best,3))")"
rm -rf "$out"
