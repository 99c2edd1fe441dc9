#!/usr/bin/env bash
# DeepGpu's `cpu` backend against libtorch in one sitting: runs `deepgpu bench --backend cpu --json` and this
# folder's libtorch reference alternately ROUNDS times (default 3), then prints each figure's range for both
# and how many times faster DeepGpu is (median against median). Usage: tools/TorchReference/compare.sh [ROUNDS]
set -euo pipefail
rounds=${1:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
dotnet build -c Release "$root/Engine.Cli" >/dev/null
dotnet build -c Release "$root/tools/TorchReference" >/dev/null
for ((r = 1; r <= rounds; r++)); do
  dotnet "$root/Engine.Cli/bin/Release/net10.0/deepgpu.dll" bench --backend cpu --json | grep '^{' >>"$lines"
  dotnet run --no-build -c Release --project "$root/tools/TorchReference" | grep '^{' >>"$lines"
done
python3 - "$lines" <<'PY'
import collections, json, statistics, sys
figures = collections.defaultdict(lambda: collections.defaultdict(list))
names = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["kind"] == "gemm":
        key, unit, value = ("gemm", o["n"]), "GFLOP/s", o["gflops"]
    elif o["kind"] == "train":
        key, unit, value = ("train", o["model"]), "ms/step", o["msPerStep"]
    else:
        key, unit, value = ("infer", o["model"]), "images/s", o["imagesPerSecond"]
    names[key] = f'{o["kind"]} {key[1]} ({unit})'
    figures[key][o["backend"]].append(value)
print("| figure | DeepGpu cpu | libtorch | DeepGpu faster by |")
print("|---|---|---|---|")
for key, by in figures.items():
    ours, theirs = by.get("cpu", []), by.get("libtorch", [])
    if not ours or not theirs:
        continue
    ratio = statistics.median(ours) / statistics.median(theirs)
    if key[0] == "train":
        ratio = 1 / ratio
    number = lambda x: f"{x:,.0f}" if x >= 1000 else f"{x:.4g}"
    span = lambda v: f"{number(min(v))}–{number(max(v))}" if len(v) > 1 else number(v[0])
    print(f"| {names[key]} | {span(ours)} | {span(theirs)} | {ratio:.2f}x |")
PY
