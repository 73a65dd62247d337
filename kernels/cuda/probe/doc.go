// Package probe stops a CUDA build of cosmogan with a clear message when the
// machine has no usable GPU; see probe.go (build tag cuda). Without the tag it
// is empty.
package probe
