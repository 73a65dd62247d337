package kernels

import "math"

type adamJob struct {
	params, grads, m, v []float32
	lr, b1, b2, eps     float32
	c1, c2              float32
}

// Adam applies one Adam step (Kingma & Ba 2015) with bias correction to params
// given the gradients: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g²,
// p ← p − lr·m̂/(√v̂ + eps) with m̂ = m/(1 − β1^step), v̂ = v/(1 − β2^step).
// step counts from 1.
func Adam(t *Team, params, grads, m, v []float32, lr, beta1, beta2, eps float32, step int) {
	j := &t.jobs.adam
	*j = adamJob{params: params, grads: grads, m: m, v: v, lr: lr, b1: beta1, b2: beta2, eps: eps,
		c1: float32(1 - math.Pow(float64(beta1), float64(step))),
		c2: float32(1 - math.Pow(float64(beta2), float64(step)))}
	t.ForGrain(len(params), pointwiseGrain, j)
}

func (j *adamJob) Run(_, lo, hi int) {
	p, g, m, v := j.params[lo:hi], j.grads[lo:hi], j.m[lo:hi], j.v[lo:hi]
	for i := range p {
		gi := g[i]
		mi := j.b1*m[i] + (1-j.b1)*gi
		vi := j.b2*v[i] + (1-j.b2)*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= j.lr * (mi / j.c1) / (float32(math.Sqrt(float64(vi/j.c2))) + j.eps)
	}
}
