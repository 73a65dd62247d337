#!/usr/bin/env bash
# The GPU checks, for a machine with an NVIDIA GPU (compute capability ≥ 8.0)
# and its driver. CI has no GPU: there the same tests run on the emulator
# (go test ./...) and the GPU test binaries are only compiled.
#
#   scripts/test-gpu.sh [OUT_DIR]                  # builds with Go and nvcc here
#   scripts/test-gpu.sh --prebuilt DIR [OUT_DIR]   # binaries from scripts/build-gpu-tests.sh
#
# 1. every kernel against the CPU kernels or their definitions on random
#    inputs, odd sizes included (tolerances in kernels/cuda/ops_test.go);
# 2. one GAN step's gradients, then 20 GAN and 20 AE steps on the GPU against
#    the same steps on the CPU (model/device_test.go);
# 3. the daemon: a GPU run, interrupted and resumed, against the CPU run, and
#    two ranks with synchronized batch norm against one;
# 4. the benchmarks: each convolution kernel of the paper's 3D networks against
#    the FP32 peak, and the full 3D (batch 100) and 2D (batch 50) GAN steps.
# Everything it prints is also written to OUT_DIR (default gpu-results/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=
if [ "${1:-}" = --prebuilt ]; then
	bin=$(cd "$2" && pwd)
	shift 2
	for f in "$bin"/*.gz; do [ -e "$f" ] && gunzip -f "$f"; done
	chmod +x "$bin"/*
fi
out=$(mkdir -p "${1:-gpu-results}" && cd "${1:-gpu-results}" && pwd)
exec > >(tee "$out/test-gpu.log") 2>&1

# Some images keep the driver's libraries outside the loader's cache.
ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1' ||
	export LD_LIBRARY_PATH=/usr/local/nvidia/lib64:/usr/local/nvidia/lib:/usr/lib/x86_64-linux-gnu/nvidia/current${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

date -u
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
if [ -z "$bin" ]; then
	go version
	bin=$out/bin
	mkdir -p "$bin"
	go test -tags cuda -c -o "$bin/" ./kernels/cuda ./model ./daemon ./bench
	go build -tags cuda -o "$bin/cosmogan-cuda" ./cmd/cosmogan
fi
# A test binary runs in its package's folder, where its tests find their files.
(cd kernels/cuda && "$bin/cuda.test" -test.count=1 -test.v)
(cd model && "$bin/model.test" -test.count=1 -test.v -test.run Device)
(cd daemon && "$bin/daemon.test" -test.count=1 -test.v -test.run 'GPURun|DataParallelMatchesOneRank' | grep -v '^{')
(cd bench && "$bin/bench.test" -test.count=1 -test.v -test.run 'BenchKernels')
cd "$root"
"$bin/cosmogan-cuda" bench kernels --dim 3 --batch 16 --steps 5 | tee "$out/kernels-3d.txt"
"$bin/cosmogan-cuda" bench step --dim 3 --batch 100 --steps 5 --device cuda --json | tee "$out/step-3d.json"
"$bin/cosmogan-cuda" bench step --dim 2 --batch 50 --steps 5 --device cuda --json | tee "$out/step-2d.json"
