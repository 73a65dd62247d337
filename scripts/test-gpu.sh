#!/usr/bin/env bash
# The GPU checks, for a machine with an NVIDIA GPU (compute capability ≥ 8.0),
# its driver, Go and Debian's nvidia-cuda-toolkit. CI has no GPU: there the
# same tests run on the emulator (go test ./...) and the GPU test binaries are
# only compiled.
#
#   scripts/test-gpu.sh [OUT_DIR]
#
# 1. every kernel against the CPU kernels on random inputs with odd sizes
#    (tolerances in kernels/cuda/ops_test.go);
# 2. one GAN step's gradients, then 20 GAN and 20 AE steps on the GPU against
#    the same steps on the CPU (model/device_test.go);
# 3. the daemon: a GPU run, interrupted and resumed, against the CPU run, and
#    two ranks with synchronized batch norm against one;
# 4. the benchmarks: each convolution kernel of the paper's 3D networks against
#    the FP32 peak, and the full 3D (batch 100) and 2D (batch 50) GAN steps.
# Everything it prints is also written to OUT_DIR (default gpu-results/).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-results}
mkdir -p "$out"
exec > >(tee "$out/test-gpu.log") 2>&1

date -u
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
go version
go test -count=1 -tags cuda -v ./kernels/cuda
go test -count=1 -tags cuda -v -run 'Device' ./model
go test -count=1 -tags cuda -v -run 'GPURun|DataParallelMatchesOneRank|BenchKernels' ./daemon 2>&1 | grep -v '^{'
go build -tags cuda -o "$out/cosmogan-cuda" ./cmd/cosmogan
"$out/cosmogan-cuda" bench kernels --dim 3 --batch 16 --steps 5 | tee "$out/kernels-3d.txt"
"$out/cosmogan-cuda" bench kernels --dim 3 --batch 16 --steps 5 --json >"$out/kernels-3d.jsonl"
"$out/cosmogan-cuda" bench step --dim 3 --batch 100 --steps 5 --device cuda --json | tee "$out/step-3d.json"
"$out/cosmogan-cuda" bench step --dim 2 --batch 50 --steps 5 --device cuda --json | tee "$out/step-2d.json"
