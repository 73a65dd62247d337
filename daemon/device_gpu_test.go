//go:build cuda

package daemon

// exactOnDevice says whether device runs repeat bitwise: a GPU adds the
// weight-gradient partial sums atomically in any order.
const exactOnDevice = false
