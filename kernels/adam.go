package kernels

import "math"

type adamJob struct {
	params, grads, m, v []float32
	k                   adamConsts
}

// adamConsts are the step's constants, in the order the assembly loop reads
// them: β1, 1 − β1, β2, 1 − β2, lr, the bias corrections c1 = 1 − β1^step
// and c2 = 1 − β2^step, and eps.
type adamConsts struct {
	b1, omb1, b2, omb2, lr, c1, c2, eps float32
}

// Adam applies one Adam step (Kingma & Ba 2015) with bias correction to params
// given the gradients: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g²,
// p ← p − lr·m̂/(√v̂ + eps) with m̂ = m/(1 − β1^step), v̂ = v/(1 − β2^step).
// step counts from 1.
func Adam(t *Team, params, grads, m, v []float32, lr, beta1, beta2, eps float32, step int) {
	j := &t.jobs.adam
	*j = adamJob{params: params, grads: grads, m: m, v: v, k: adamConsts{b1: beta1, omb1: 1 - beta1,
		b2: beta2, omb2: 1 - beta2, lr: lr, eps: eps,
		c1: float32(1 - math.Pow(float64(beta1), float64(step))),
		c2: float32(1 - math.Pow(float64(beta2), float64(step)))}}
	t.ForGrain(len(params), pointwiseGrain, j)
}

func (j *adamJob) Run(_, lo, hi int) {
	p, g, m, v := j.params[lo:hi], j.grads[lo:hi], j.m[lo:hi], j.v[lo:hi]
	// The AVX2 loop does the same operations in the same order (a float32
	// square root is the rounded float64 one), 8 parameters at a time.
	done := adamFast(p, g, m, v, &j.k)
	p, g, m, v = p[done:], g[done:], m[done:], v[done:]
	k := &j.k
	for i := range p {
		gi := g[i]
		mi := k.b1*m[i] + k.omb1*gi
		vi := k.b2*v[i] + k.omb2*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= k.lr * (mi / k.c1) / (float32(math.Sqrt(float64(vi/k.c2))) + k.eps)
	}
}
