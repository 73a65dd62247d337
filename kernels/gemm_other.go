//go:build !amd64 || purego

package kernels

// gemmHaveAsm reports whether an assembly micro-kernel exists and runs on
// this CPU; on this build there is none.
const gemmHaveAsm = false

// gemmKernelAsm stands in for the assembly kernel on builds without one.
var gemmKernelAsm = gemmKernelGo
