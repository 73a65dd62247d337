package model

// EMA is an exponential moving average of G's weights (Yazıcı et al. 2019,
// "The unusual effectiveness of averaging in GAN training"): sampled instead
// of G, it smooths out the oscillations of adversarial training, in which
// G's latest weights chase D's latest weaknesses and drop parts of the data.
// Its batch-norm running statistics are averaged alike. It is updated after
// every applied G update with the decay
//
//	β_t = min(Decay, (1 + t)/(10 + t)),   EMA ← β_t·EMA + (1 − β_t)·G,
//
// where t is the number of G updates so far: the warm-up keeps the average
// from dwelling on the random initialization (as TensorFlow's
// ExponentialMovingAverage with num_updates does). Every rank applies the
// same updates to the same weights, so the average needs no communication.
type EMA struct {
	Net   *Net // a copy of G's architecture holding the average
	Decay float64
}

// EMAName is the name of the averaged generator in checkpoints.
const EMAName = "G_ema"

// NewEMA starts an average of g at g's current weights.
func NewEMA(arch Arch, g *Net, decay float64) (*EMA, error) {
	n, err := NewGenerator(arch)
	if err != nil {
		return nil, err
	}
	n.Name = EMAName
	copy(n.Params, g.Params)
	copy(n.State, g.State)
	return &EMA{Net: n, Decay: decay}, nil
}

// Update folds g's weights in after its update number t (1 for the first).
func (e *EMA) Update(g *Net, t int) {
	b := min(e.Decay, float64(1+t)/float64(10+t))
	mix := func(avg, cur []float32) {
		for i, v := range cur {
			avg[i] = float32(b*float64(avg[i]) + (1-b)*float64(v))
		}
	}
	mix(e.Net.Params, g.Params)
	mix(e.Net.State, g.State)
}
