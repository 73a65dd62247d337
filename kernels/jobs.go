package kernels

// jobs holds one job value per parallel kernel. A kernel fills its job's
// arguments and hands a pointer to Team.For; since a Team serves one caller at
// a time, reusing the same value is safe and keeps every call allocation-free.
type jobs struct {
	im2col    im2colJob
	col2im    col2imJob
	transpose transposeJob
	pointwise pointwiseJob
	bn        batchNormJob
	adam      adamJob
}
