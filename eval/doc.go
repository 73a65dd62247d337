// Package eval measures how close a set of generated or inferred density
// fields is to a set of simulated ones, with the statistical estimators of
// §4.1 of Ullmo, Decelle & Aghanim 2021: the pixel PDF, the distribution of
// the mean density, the power spectrum (Eq. 8, median and MAD over a set),
// peak counts, and for paired sets the Sørensen–Dice overlap of the top-n%
// pixels (Eqs. 9–11, with the factor 2 that DESIGN.md restores); and with
// three of its own in the networks' space (the log field): the power
// spectrum of the log field, each image's distance to its nearest other
// image (mode collapse) and to its nearest training crop (memorization).
// Distances reduce each estimator to one number; each comes with its noise
// floor, the same distance between two halves of the reference split by
// field (Floors); Score sums the distances in units of their floors to
// choose checkpoints, and Acceptance judges them against fixed bounds;
// WriteReport writes report.json, the figures and report.html.
//
// The estimators of §4.1 work on linear density (ρ/ρ̄ for the fields cosmogan
// makes and generates: the inverse of their transform): a
// Set carries the transform its values are in and is inverted one image at
// a time into per-worker scratch. Only the nearest-neighbour search, which
// needs every image at once, copies a set of linear density into its log
// field. Work is spread over threads image by image (or by blocks of image
// pairs), and every reduction runs in image order or on integers, so
// results are bitwise the same for any thread count.
package eval
