package kernels

// Batch normalization over a batch laid out (batch, C, P): channel c is
// normalized with statistics over its batch·P values. The kernels do the
// passes over the data; the layer combines the per-channel sums (across
// data-parallel ranks too, for synchronized batch norm) in between:
//
//	forward:  BatchNormSums → mean, variance → BatchNormApply
//	backward: BatchNormGradSums → dγ, dβ → BatchNormBackwardData
//
// Sums are accumulated in float64, so large batches of cubes lose no
// precision and the one-pass variance Σx²/n − mean² stays accurate.

type batchNormJob struct {
	op                 bnOp
	batch, c, p        int
	a, b               []float32 // inputs: x (or dy), and x̂ for the gradient sums
	sums               []float64 // 2c: Σa, then Σa² (forward) or Σa·b (backward)
	gamma, beta        []float32
	mean, coef1, coef2 []float32
	out, xhat          []float32
}

type bnOp int

const (
	bnSums bnOp = iota
	bnGradSums
	bnApply
	bnBackwardData
)

// BatchNormSums sets sums[ch] = Σ x and sums[c+ch] = Σ x² over the batch and
// positions of each channel.
func BatchNormSums(t *Team, batch, c, p int, x []float32, sums []float64) {
	t.bn(batchNormJob{op: bnSums, batch: batch, c: c, p: p, a: x, sums: sums})
}

// BatchNormGradSums sets sums[ch] = Σ dy and sums[c+ch] = Σ dy·x̂ for each
// channel: the gradients of β and γ, and the two terms the input gradient
// needs in training mode.
func BatchNormGradSums(t *Team, batch, c, p int, dy, xhat []float32, sums []float64) {
	t.bn(batchNormJob{op: bnGradSums, batch: batch, c: c, p: p, a: dy, b: xhat, sums: sums})
}

// BatchNormApply writes x̂ = (x − mean)·invStd and y = γ·x̂ + β per channel.
func BatchNormApply(t *Team, batch, c, p int, x, mean, invStd, gamma, beta, xhat, y []float32) {
	t.bn(batchNormJob{op: bnApply, batch: batch, c: c, p: p, a: x, mean: mean, coef1: invStd,
		gamma: gamma, beta: beta, xhat: xhat, out: y})
}

// BatchNormBackwardData writes dx = k1·dy − k2·x̂ − k0 per channel, with
// channel coefficients k1 = coef1, k2 = coef2 and k0 = mean (reused as the
// constant term). In training mode, with n values per channel,
// k1 = γ·invStd, k2 = γ·invStd·Σdy·x̂/n and k0 = γ·invStd·Σdy/n; in inference
// mode k1 = γ/√(running var + eps) and k2 = k0 = 0.
func BatchNormBackwardData(t *Team, batch, c, p int, dy, xhat, k0, k1, k2, dx []float32) {
	t.bn(batchNormJob{op: bnBackwardData, batch: batch, c: c, p: p, a: dy, b: xhat,
		mean: k0, coef1: k1, coef2: k2, out: dx})
}

func (t *Team) bn(j batchNormJob) {
	job := &t.jobs.bn
	*job = j
	t.For(j.c, job)
}

func (j *batchNormJob) Run(_, lo, hi int) {
	p, stride := j.p, j.c*j.p
	for ch := lo; ch < hi; ch++ {
		var s1, s2 float64
		for b := 0; b < j.batch; b++ {
			off := b*stride + ch*p
			a := j.a[off : off+p]
			switch j.op {
			case bnSums:
				for _, v := range a {
					s1 += float64(v)
					s2 += float64(v) * float64(v)
				}
			case bnGradSums:
				xh := j.b[off : off+p]
				for i, d := range a {
					s1 += float64(d)
					s2 += float64(d) * float64(xh[i])
				}
			case bnApply:
				m, s, g, be := j.mean[ch], j.coef1[ch], j.gamma[ch], j.beta[ch]
				xh, y := j.xhat[off:off+p], j.out[off:off+p]
				for i, v := range a {
					h := (v - m) * s
					xh[i] = h
					y[i] = g*h + be
				}
			case bnBackwardData:
				k0, k1, k2 := j.mean[ch], j.coef1[ch], j.coef2[ch]
				xh, dx := j.b[off:off+p], j.out[off:off+p]
				for i, d := range a {
					dx[i] = k1*d - k2*xh[i] - k0
				}
			}
		}
		if j.op == bnSums || j.op == bnGradSums {
			j.sums[ch], j.sums[j.c+ch] = s1, s2
		}
	}
}
