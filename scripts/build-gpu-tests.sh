#!/usr/bin/env bash
# Builds the GPU test binaries and the CUDA cosmogan here, stripped and
# gzipped into DIR (default gpu-bin/, ignored by git), for a GPU machine that
# has the NVIDIA driver but no Go toolchain: carry DIR there and run
#   scripts/test-gpu.sh --prebuilt DIR
# (about 25 MB; the binaries link only libcuda.so.1, which the driver brings).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-gpu-bin}
mkdir -p "$dir"
go test -tags cuda -ldflags='-s -w' -c -o "$dir/" ./kernels/cuda ./model ./daemon ./bench
go build -tags cuda -ldflags='-s -w' -o "$dir/cosmogan-cuda" ./cmd/cosmogan
gzip -f -9 "$dir"/cuda.test "$dir"/model.test "$dir"/daemon.test "$dir"/bench.test "$dir"/cosmogan-cuda
ls -l "$dir"
