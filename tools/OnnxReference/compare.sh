#!/usr/bin/env bash
# DeepGpu's `cpu` backend against ONNX Runtime in one sitting, on DeepGpu's own exported model: trains a
# simple-convnet for one epoch on the embedded sample, exports it (`deepgpu export --onnx`), then runs
# `deepgpu bench --backend cpu --json` and this folder's ONNX Runtime reference alternately ROUNDS times
# (default 3) and prints each figure's range and how many times faster DeepGpu is (median against median;
# tools/compare-table.py). Usage: tools/OnnxReference/compare.sh [ROUNDS]
set -euo pipefail
rounds=${1:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build -c Release "$root/Engine.Cli" >/dev/null
dotnet build -c Release "$root/tools/OnnxReference" >/dev/null
deepgpu() { dotnet "$root/Engine.Cli/bin/Release/net10.0/deepgpu.dll" "$@"; }
deepgpu train --model simple-convnet --backend cpu --epochs 1 --out "$work/simple-convnet.safetensors" >/dev/null 2>&1
deepgpu export "$work/simple-convnet.safetensors" --onnx "$work/simple-convnet.onnx" >/dev/null
for ((r = 1; r <= rounds; r++)); do
  deepgpu bench --backend cpu --json | grep '^{' >>"$work/lines"
  dotnet run --no-build -c Release --project "$root/tools/OnnxReference" -- --model "simple-convnet=$work/simple-convnet.onnx" | grep '^{' >>"$work/lines"
done
python3 "$root/tools/compare-table.py" "$work/lines"
