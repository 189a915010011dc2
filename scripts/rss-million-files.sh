#!/usr/bin/env bash
# Peak memory of a small-files scan over 1,000,000 files (issue: RSS <= 512 MiB). Generates a
# dataset of 1 M files (median 1 KiB, ~1.2 GiB of disk plus inodes) in a scratch data dir,
# runs one native rep, and prints the peak RSS of mountbench and of its agent (the largest
# of the processes it waited for). Needs a release build.
# Usage: scripts/rss-million-files.sh [files]   (default 1000000)
# env: MOUNTBENCH_BIN, the mountbench to run (default target/release/mountbench).
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-1000000}
dirs=1000
work=${MOUNTBENCH_SCRATCH:-$(mktemp -d)}
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cat > "$work/million.toml" <<TOML
[run]
reps = 1
warmup = 0
targets = ["native"]
[[workload]]
kind = "small-files"
name = "million"
dirs = $dirs
files_per_dir = $((files / dirs))
median_size = "1KiB"
sigma = 0.6
threads = 2
TOML
python3 - "${MOUNTBENCH_BIN:-$PWD/target/release/mountbench}" "$work" "$files" <<'PY'
import resource, subprocess, sys, time
mb, work, files = sys.argv[1], sys.argv[2], int(sys.argv[3])
start = time.time()
subprocess.run([mb, "run", "-q", "-w", f"{work}/million.toml", "--data-dir", f"{work}/data",
                "--out", f"{work}/out"], check=True, stdout=subprocess.DEVNULL)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
rows = open(f"{work}/out/summary.csv").read().splitlines()
head, row = rows[0].split(","), rows[1].split(",")
s = dict(zip(head, row))
print(f"{files} files scanned at {int(float(s['median_ops_s']))} files/s; "
      f"peak RSS of mountbench or its agent: {peak:.0f} MiB (limit 512 MiB); "
      f"wall {time.time() - start:.0f} s including generation")
PY
