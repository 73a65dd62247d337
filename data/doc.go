// Package data turns simulation output into training input (§2.2): .npy I/O
// for fields, GADGET-2, HDF5 and .npy particle streams, NGP/CIC mass
// assignment, the periodic 2D DTFE, the paper's log-like transforms (Eqs. 1
// and 2), strided Gaussian smoothing, the `prepare` pipeline with provenance sidecars, random
// periodic crops under the symmetry group of the square or cube, and
// leak-free train/validation/test splits. It imports no other package of the
// project except hdf5 (the file format, below it) and internal/atomicfile.
package data
