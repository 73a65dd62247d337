// Package data turns simulation output into training input: .npy I/O for
// fields, the paper's log-like transforms (Eqs. 1 and 2), and random periodic
// crops under the symmetry group of the square or cube (§2.2). It imports no
// other package of the project.
package data
