// Package eval measures how close a set of generated or inferred density
// fields is to a set of simulated ones, with the statistical estimators of
// §4.1 of Ullmo, Decelle & Aghanim 2021: the pixel PDF, the distribution of
// the mean density, the power spectrum (Eq. 8, median and MAD over a set),
// peak counts, and for paired sets the Sørensen–Dice overlap of the top-n%
// pixels (Eqs. 9–11, with the factor 2 that DESIGN.md restores). Distances
// reduce each estimator to one scalar, and Score sums them to choose
// checkpoints; WriteReport writes report.json, the figures and report.html.
//
// Every estimator works on linear density in particles per pixel: a Set
// carries the transform its values are in and is inverted one image at a time
// into per-worker scratch, so a set is never copied. Work is spread over
// threads image by image, and every reduction runs in image order or on
// integers, so results are bitwise the same for any thread count.
package eval
