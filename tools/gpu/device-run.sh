#!/usr/bin/env bash
# The prepared GPU run: on a CUDA machine without .NET, runs the self-contained deepgpu that tools/gpu/pack.sh
# put beside this script, in at most 8 minutes, and writes one result file.
#
#   bash .gpurun/device-run.sh            # from the checkout root, after tools/gpu/pack.sh
#
# Steps (each with its own time cap, all within one 470 s budget):
#   devices; check --backend cuda --real-sizes; check --backend opencl (where an OpenCL device is accepted);
#   train simple-convnet on cuda for 10 epochs on the MNIST files beside this script; bench on cuda;
#   an out-of-memory try (a network too large for the device); the PyTorch reference on the same GPU.
# Output: $OUT/gpu-run.json (OUT defaults to ./gpu-run-out) with the device, driver, date, every command's
# exit code, seconds and output, and the figures read from it; commit it under docs/gpu/. Exits 0 only when
# every step did what it should (the out-of-memory try must fail with exit code 1 and one sentence).
# DEEPGPU_EXE overrides the executable (tests run this script against a stand-in).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$PWD/gpu-run-out}
mkdir -p "$out/steps"
budget=${DEEPGPU_RUN_BUDGET:-470}
start=$SECONDS

exe=${DEEPGPU_EXE:-}
if [ -z "$exe" ]; then
  app=$(mktemp -d /tmp/deepgpu-app.XXXXXX)
  tar xJf "$here/app.tar.xz" -C "$app" || { echo "device-run: cannot unpack $here/app.tar.xz (run tools/gpu/pack.sh first)"; exit 2; }
  exe="$app/deepgpu"
fi
[ -x "$exe" ] || { echo "device-run: no deepgpu executable at $exe"; exit 2; }
data="$here/mnist"
# cuBLAS (an optional GEMM path) is looked for where CUDA installs it.
DEEPGPU_CUBLAS=${DEEPGPU_CUBLAS:-$(ls /usr/local/cuda/targets/x86_64-linux/lib/libcublas.so.1[0-9]* 2>/dev/null | head -1)}
export DEEPGPU_CUBLAS

# One step: name, time cap in seconds, expected exit code, then the command. Its output goes to steps/NAME.log,
# its exit code, seconds and expectation to steps/NAME.meta.
step() {
  local name=$1 cap=$2 expect=$3; shift 3
  local left=$((budget - (SECONDS - start)))
  [ "$cap" -gt "$left" ] && cap=$left
  if [ "$cap" -lt 5 ]; then
    echo "== $name: skipped, the run's $budget s are spent"
    printf 'rc=skipped\nseconds=0\nexpect=%s\ncommand=%s\n' "$expect" "$*" > "$out/steps/$name.meta"
    return
  fi
  echo "== $name: $* (at most ${cap}s)"
  local t0=$SECONDS
  timeout --kill-after=5 "$cap" "$@" > "$out/steps/$name.log" 2>&1
  local rc=$?
  tail -n 15 "$out/steps/$name.log"
  printf 'rc=%s\nseconds=%s\nexpect=%s\ncommand=%s\n' "$rc" "$((SECONDS - t0))" "$expect" "$*" > "$out/steps/$name.meta"
  echo "== $name: exit code $rc after $((SECONDS - t0))s"
}

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "nvidia-smi failed"; } > "$out/steps/gpu.txt"
date -u +%Y-%m-%dT%H:%M:%SZ > "$out/steps/date.txt"
cat "$out/steps/gpu.txt"

step devices 30 0 "$exe" devices
step check-cuda 150 0 "$exe" check --backend cuda --real-sizes --json
if grep -Eq '^opencl .* usable$' "$out/steps/devices.log"; then
  step check-opencl 60 0 "$exe" check --backend opencl --json
fi
step train-cuda 120 0 "$exe" train --model simple-convnet --backend cuda --epochs 10 --json --data "$data"
step bench-cuda 90 0 "$exe" bench --backend cuda --json --budget 1
step out-of-memory 40 1 "$exe" train --model "$here/oom-net.json" --backend cuda --epochs 1 --batch 60000 --data "$data"
step torch 60 0 python3 "$here/torch_reference.py" 200

python3 "$here/result.py" "$out"
