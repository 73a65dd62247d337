package model

import (
	"math"
	"math/rand/v2"
)

// BCEWithLogits returns weight·mean_i ℓ(x_i, y_i) for logits x and labels y,
// with ℓ(x, y) = −y·log σ(x) − (1 − y)·log(1 − σ(x)) evaluated as
// max(x, 0) − x·y + log(1 + e^−|x|), which neither overflows nor loses
// precision for large |x|. It writes the gradient of that value with respect
// to x_i, weight·(σ(x_i) − y_i)/n, into grad.
func BCEWithLogits(logits, labels, grad []float32, weight float64) float64 {
	n := float64(len(logits))
	var sum float64
	for i, xf := range logits {
		x, y := float64(xf), float64(labels[i])
		sum += math.Max(x, 0) - x*y + math.Log1p(math.Exp(-math.Abs(x)))
		grad[i] = float32(weight * (sigmoid(x) - y) / n)
	}
	return weight * sum / n
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// FeatureLoss is the L2 loss of Eq. 7 between features f and the target
// features of the input: mean_i (f_i − t_i)² over all features of the batch.
// It writes its gradient 2(f_i − t_i)/n into grad. (The paper writes a squared
// norm; averaging instead of summing only rescales the loss, which Adam's
// update is invariant to.)
func FeatureLoss(f, target, grad []float32) float64 {
	n := float64(len(f))
	var sum float64
	for i, v := range f {
		d := float64(v) - float64(target[i])
		sum += d * d
		grad[i] = float32(2 * d / n)
	}
	return sum / n
}

// NoisyLabels fills labels with value and flips each, with probability frac,
// to 1 − value: the noisy labels of Appendix A.1 that keep D from winning the
// game too early.
func NoisyLabels(labels []float32, value float32, frac float64, rng *rand.Rand) {
	for i := range labels {
		labels[i] = value
		if frac > 0 && rng.Float64() < frac {
			labels[i] = 1 - value
		}
	}
}
