#!/usr/bin/env bash
# Packs the prepared GPU run into .gpurun/ (git-ignored, about 45 MB): the deepgpu CLI published self-contained
# for linux-x64 (the GPU machine has no .NET), device-run.sh, result.py, torch_reference.py, oom-net.json, and
# the MNIST files (train and t10k) from DIR, $DEEPGPU_DATA or ~/.cache/deepgpu/mnist.
#
#   tools/gpu/pack.sh [DIR]        then on the GPU machine, from the checkout root: bash .gpurun/device-run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${1:-${DEEPGPU_DATA:-$HOME/.cache/deepgpu/mnist}}
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  compgen -G "$data/$f*" >/dev/null || { echo "pack: $data has no $f(.gz); give the MNIST folder as the argument"; exit 2; }
done
cd "$root"
rm -rf .gpurun && mkdir -p .gpurun/app .gpurun/mnist
dotnet publish Engine.Cli -c Release -r linux-x64 --self-contained -p:DebugType=none -o .gpurun/app >/dev/null
[ -x .gpurun/app/deepgpu ] || { echo "pack: the publish made no .gpurun/app/deepgpu"; exit 1; }
tar cJf .gpurun/app.tar.xz -C .gpurun/app . && rm -rf .gpurun/app
cp "$here/device-run.sh" "$here/result.py" "$here/torch_reference.py" "$here/oom-net.json" .gpurun/
cp "$data"/train-*-ubyte* "$data"/t10k-*-ubyte* .gpurun/mnist/
du -sh .gpurun
echo "on the GPU machine, from the checkout root: bash .gpurun/device-run.sh"
