#!/usr/bin/env bash
# DeepGpu's `cpu` backend against libtorch in one sitting: runs `deepgpu bench --backend cpu --json` and this
# folder's libtorch reference alternately ROUNDS times (default 3), then prints each figure's range for both
# and how many times faster DeepGpu is (median against median; tools/compare-table.py). Usage: tools/TorchReference/compare.sh [ROUNDS]
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
python3 "$root/tools/compare-table.py" "$lines"
