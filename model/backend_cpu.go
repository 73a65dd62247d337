package model

import "github.com/cosmogan/cosmogan/kernels"

type cpuBackend struct{ ws *Workspace }

func (b cpuBackend) ganTrainer(m *GAN) (GANTrainer, error) {
	return newGANSteps[[]float32](m, &cpuOps{ws: b.ws})
}

func (b cpuBackend) aeTrainer(a *AE) (AETrainer, error) {
	return newAESteps[[]float32](a, &cpuOps{ws: b.ws})
}

// cpuOps are the CPU's operations: the buffers are host slices, the
// networks the host networks themselves.
type cpuOps struct {
	ws  *Workspace
	res [resultSlots]float64
}

func (o *cpuOps) net(n *Net, _ *Adam) (netOps[[]float32], error) {
	return &cpuNet{n: n, ws: o.ws}, nil
}

func (o *cpuOps) load(_ *[]float32, host []float32) []float32 { return host }

func (o *cpuOps) fill(slot *[]float32, n int, v float32) []float32 {
	s := kernels.Grow(slot, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func (o *cpuOps) buf(slot *[]float32, n int) []float32 { return kernels.Grow(slot, n) }

func (o *cpuOps) copyOf(slot *[]float32, src []float32, n int) []float32 {
	s := kernels.Grow(slot, n)
	copy(s, src)
	return s
}

func (o *cpuOps) bce(weight float64, logits, labels, grad []float32, at int) {
	o.res[at+1] = meanSigmoid(logits)
	o.res[at] = BCEWithLogits(logits, labels, grad, weight)
}

func (o *cpuOps) featureLoss(f, target, grad []float32, at int) {
	o.res[at] = FeatureLoss(f, target, grad)
}

func (o *cpuOps) host(b []float32) ([]float32, bool) { return b, true }

func (o *cpuOps) results() ([]float64, error) { return o.res[:], nil }
func (o *cpuOps) wait() error                 { return nil }
func (o *cpuOps) check() error                { return nil }
func (o *cpuOps) close()                      {}

// cpuNet is a host network as the training algorithms see it. Its buffers
// are the host network's, so it has nothing to copy.
type cpuNet struct {
	n  *Net
	ws *Workspace
}

func (c *cpuNet) forward(x []float32, batch int, train bool) []float32 {
	return c.n.Forward(c.ws, x, batch, train)
}

func (c *cpuNet) backward(dy []float32, paramGrads, needDx bool) []float32 {
	return c.n.Backward(c.ws, dy, paramGrads, needDx)
}

func (c *cpuNet) zeroGrads()                    { c.n.ZeroGrads() }
func (c *cpuNet) hostGrads() ([]float32, error) { return c.n.Grads, nil }
func (c *cpuNet) pushGrads()                    {}

func (c *cpuNet) adam(a *Adam) error {
	kernels.Adam(c.ws.Team, c.n.Params, c.n.Grads, a.M, a.V, a.LR, a.Beta1, a.Beta2, a.Eps, a.Step)
	return nil
}

func (c *cpuNet) pullWeights() {}
func (c *cpuNet) pull()        {}
func (c *cpuNet) push()        {}
func (c *cpuNet) pullState()   {}
func (c *cpuNet) pushState()   {}

func meanSigmoid(logits []float32) float64 {
	var s float64
	for _, v := range logits {
		s += sigmoid(float64(v))
	}
	return s / float64(len(logits))
}
