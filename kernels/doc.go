// Package kernels holds the numeric primitives of cosmogan on flat []float32:
// GEMM, 2D/3D convolution and transposed convolution with their backward
// passes, elementwise maps, reductions and the optimizer update.
//
// Every kernel works on row-major slices it is given and allocates nothing once
// its caller's buffers exist. Parallel kernels run on a Team, a fixed set of
// goroutines; the work split never changes the order in which any one output
// element is accumulated, so results are bitwise reproducible for a given
// thread count (and, for GEMM and convolutions, for any thread count).
//
// GEMM and convolution have plain reference implementations beside them
// (SgemmRef, ConvRef) that the tests compare against; the vector loops of the
// pointwise kernels and Adam are compared with their portable Go loops, and
// batch norm is checked through the model's finite-difference tests.
package kernels
