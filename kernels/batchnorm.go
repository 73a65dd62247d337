package kernels

import "math"

// Batch normalization over a batch laid out (batch, C, P): each channel c is
// normalized with the mean and variance of its batch·P values. Statistics are
// accumulated in float64 so large batches of cubes do not lose precision.

type batchNormJob struct {
	batch, c, p        int
	momentum, eps      float32
	train              bool
	backward           bool
	x, y, xhat, dy, dx []float32
	gamma, beta        []float32
	mean, invStd       []float32
	runMean, runVar    []float32
	dGamma, dBeta      []float32
}

// BatchNormTrain normalizes x with its batch statistics: y = γ·x̂ + β with
// x̂ = (x − μ)/√(σ² + eps). It stores x̂, μ and 1/√(σ² + eps) for the backward
// pass and updates the running statistics as PyTorch does:
// run ← (1 − momentum)·run + momentum·batch, with the unbiased variance.
func BatchNormTrain(t *Team, batch, c, p int, x, gamma, beta, y, xhat, mean, invStd, runMean, runVar []float32, momentum, eps float32) {
	j := &t.jobs.bn
	*j = batchNormJob{batch: batch, c: c, p: p, momentum: momentum, eps: eps, train: true,
		x: x, y: y, xhat: xhat, gamma: gamma, beta: beta, mean: mean, invStd: invStd,
		runMean: runMean, runVar: runVar}
	t.For(c, j)
}

// BatchNormInfer normalizes x with the running statistics (inference mode) and
// stores x̂ for the backward pass.
func BatchNormInfer(t *Team, batch, c, p int, x, gamma, beta, y, xhat, runMean, runVar []float32, eps float32) {
	j := &t.jobs.bn
	*j = batchNormJob{batch: batch, c: c, p: p, eps: eps,
		x: x, y: y, xhat: xhat, gamma: gamma, beta: beta, runMean: runMean, runVar: runVar}
	t.For(c, j)
}

// BatchNormBackward accumulates dγ += Σ dy·x̂ and dβ += Σ dy and writes dx. In
// training mode (train) the batch statistics depend on x, and
// dx = γ/(σ·n)·(n·dy − Σdy − x̂·Σdy·x̂); in inference mode dx = γ·dy/√(run σ² + eps).
// dGamma and dBeta may be nil when the parameters are frozen.
func BatchNormBackward(t *Team, train bool, batch, c, p int, dy, xhat, gamma, invStd, runVar, dx, dGamma, dBeta []float32, eps float32) {
	j := &t.jobs.bn
	*j = batchNormJob{batch: batch, c: c, p: p, eps: eps, train: train, backward: true,
		dy: dy, xhat: xhat, gamma: gamma, invStd: invStd, runVar: runVar, dx: dx,
		dGamma: dGamma, dBeta: dBeta}
	t.For(c, j)
}

func (j *batchNormJob) Run(_, lo, hi int) {
	for ch := lo; ch < hi; ch++ {
		if j.backward {
			j.backwardChannel(ch)
		} else {
			j.forwardChannel(ch)
		}
	}
}

func (j *batchNormJob) forwardChannel(ch int) {
	p, stride := j.p, j.c*j.p
	var mean, invStd float64
	if j.train {
		n := float64(j.batch * p)
		var sum, sq float64
		for b := 0; b < j.batch; b++ {
			for _, v := range j.x[b*stride+ch*p : b*stride+(ch+1)*p] {
				sum += float64(v)
			}
		}
		mean = sum / n
		for b := 0; b < j.batch; b++ {
			for _, v := range j.x[b*stride+ch*p : b*stride+(ch+1)*p] {
				d := float64(v) - mean
				sq += d * d
			}
		}
		variance := sq / n
		invStd = 1 / math.Sqrt(variance+float64(j.eps))
		j.mean[ch], j.invStd[ch] = float32(mean), float32(invStd)
		unbiased := variance
		if n > 1 {
			unbiased = sq / (n - 1)
		}
		m := float64(j.momentum)
		j.runMean[ch] = float32((1-m)*float64(j.runMean[ch]) + m*mean)
		j.runVar[ch] = float32((1-m)*float64(j.runVar[ch]) + m*unbiased)
	} else {
		mean = float64(j.runMean[ch])
		invStd = 1 / math.Sqrt(float64(j.runVar[ch])+float64(j.eps))
	}
	g, be := j.gamma[ch], j.beta[ch]
	m32, s32 := float32(mean), float32(invStd)
	for b := 0; b < j.batch; b++ {
		off := b*stride + ch*p
		x, xh, y := j.x[off:off+p], j.xhat[off:off+p], j.y[off:off+p]
		for i, v := range x {
			h := (v - m32) * s32
			xh[i] = h
			y[i] = g*h + be
		}
	}
}

func (j *batchNormJob) backwardChannel(ch int) {
	p, stride := j.p, j.c*j.p
	var sumDy, sumDyXhat float64
	for b := 0; b < j.batch; b++ {
		off := b*stride + ch*p
		xh := j.xhat[off : off+p]
		for i, d := range j.dy[off : off+p] {
			sumDy += float64(d)
			sumDyXhat += float64(d) * float64(xh[i])
		}
	}
	if j.dGamma != nil {
		j.dGamma[ch] += float32(sumDyXhat)
		j.dBeta[ch] += float32(sumDy)
	}
	if j.dx == nil {
		return
	}
	g := float64(j.gamma[ch])
	if !j.train {
		scale := float32(g / math.Sqrt(float64(j.runVar[ch])+float64(j.eps)))
		for b := 0; b < j.batch; b++ {
			off := b*stride + ch*p
			dx := j.dx[off : off+p]
			for i, d := range j.dy[off : off+p] {
				dx[i] = scale * d
			}
		}
		return
	}
	n := float64(j.batch * p)
	scale := float32(g * float64(j.invStd[ch]) / n)
	a, c := float32(sumDy), float32(sumDyXhat)
	nf := float32(n)
	for b := 0; b < j.batch; b++ {
		off := b*stride + ch*p
		xh, dx := j.xhat[off:off+p], j.dx[off:off+p]
		for i, d := range j.dy[off : off+p] {
			dx[i] = scale * (nf*d - a - xh[i]*c)
		}
	}
}
