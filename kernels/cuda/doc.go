// Package cuda is cosmogan's GPU backend: the CUDA kernels of kernels.cu and
// the Go calls that launch them on device buffers.
//
// Everything here but the driver is plain Go. A Device runs on a Driver: the
// real one (cu.go, build tag cuda) talks to an NVIDIA GPU through
// gorgonia.org/cu and loads the PTX built from kernels.cu; package
// kernels/cuda/emu runs the very same kernels.cu on the host, so the whole
// backend (launch geometry, argument order, kernel arithmetic) is tested in CI
// without a GPU. Binaries built without the cuda tag never link the CUDA
// driver library.
//
// The PTX files are generated and committed; regenerate them with
//
//	go generate ./kernels/cuda
//
// which needs nvcc (Debian's nvidia-cuda-toolkit 11.8). CI checks that the
// committed files match the source byte for byte.
package cuda

//go:generate nvcc -ptx -arch=compute_80 -o kernels_sm80.ptx kernels.cu
//go:generate nvcc -ptx -arch=compute_90 -o kernels_sm90.ptx kernels.cu
