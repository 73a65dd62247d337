// Package hdf5 reads the subset of HDF5 (the HDF Group's file format
// specification, version 3.0) that particle snapshots of N-body codes use:
// superblock versions 0 to 3, object headers version 1 and 2, groups stored
// as symbol tables (v1 B-tree and local heap) or as links (compact in the
// object header, or dense in a fractal heap indexed by a v2 B-tree),
// attributes (compact or dense) of numeric type, and datasets of integers
// or IEEE floats in either byte order, stored compact, contiguous or
// chunked (v1 B-tree, v2 B-tree, single-chunk or fixed-array chunk
// indexes) with the deflate and shuffle filters.
//
// It is pure Go, so that a plain `go build` reads HDF5 on any machine
// without libhdf5. Anything outside that subset is refused with an *Error
// naming the file, the object and what was expected. Every length and
// address read from a file is checked against the file's size before it is
// used, so damaged files give errors, not panics, hangs or allocations
// larger than the file.
//
// Datasets are streamed (Dataset.Read): a caller holds one chunk (or a
// bounded run of rows of a contiguous dataset) at a time, never the whole
// dataset.
package hdf5
