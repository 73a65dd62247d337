package model

import "github.com/cosmogan/cosmogan/kernels/cuda"

// A Backend is where a trainer's networks live and its steps run: the CPU
// (CPU) or a GPU (GPU). The training algorithms, the GAN step and the AE
// step (train.go), are written once, over the operations ops[B] that each
// backend implements on its own buffers B ([]float32 on the CPU, cuda.F32 on
// a GPU), as gonum's BLAS routines run over whichever implementation
// blas32.Use installed. Choosing the device is thus one argument of
// NewGANTrainer and NewAETrainer.
type Backend interface {
	ganTrainer(m *GAN) (GANTrainer, error)
	aeTrainer(a *AE) (AETrainer, error)
}

// CPU is the backend that runs on the host networks themselves, with the
// worker team and scratch buffers of ws.
func CPU(ws *Workspace) Backend { return cpuBackend{ws} }

// GPU is the backend that runs on dev: each trainer uploads its networks and
// optimizer moments, and every layer runs through its device counterpart. A
// network with a layer that has none is refused, naming the layer.
func GPU(dev *cuda.Device) Backend { return gpuBackend{dev} }

// Mirror keeps the host networks, the reference copy that checkpoints,
// evaluation and broadcasts read and write, in step with a trainer's copy on
// its backend. On the CPU the two are one and every method does nothing.
type Mirror interface {
	// Pull copies the trained networks' weights, batch-norm state and
	// optimizer moments from the backend into the host networks.
	Pull() error
	// Push copies them from the host to the backend, after a restore or a
	// broadcast changed them.
	Push() error
	// PullState and PushState copy the batch-norm running statistics only.
	PullState() error
	PushState() error
	// Close frees what the trainer holds on its backend.
	Close()
}

// GANTrainer trains a GAN on a backend.
type GANTrainer interface {
	// Step performs one GAN training step on a batch (this rank's part of
	// the global batch): one D update on the real samples and generated
	// ones, then one G update that reuses the same generated samples, then,
	// if the GAN keeps one, the moving average of G. An update whose
	// averaged gradients are not finite is skipped on every rank.
	Step(b *GANBatch) (StepStats, error)
	Mirror
}

// AETrainer trains an AE's encoder on a backend.
type AETrainer interface {
	// Step performs one encoder update on a batch of crops x and, with the
	// AE's LatentWeight, latent vectors z (nil without), and returns this
	// rank's loss and whether the update was skipped for non-finite
	// gradients.
	Step(x, z []float32, batch int) (loss float64, skipped bool, err error)
	// Loss evaluates the Eq. 7 loss on a batch without training (E in
	// inference mode), as for validation and early stopping.
	Loss(x []float32, batch int) (float64, error)
	Mirror
}

// NewGANTrainer returns the trainer of m on backend on.
func NewGANTrainer(m *GAN, on Backend) (GANTrainer, error) { return on.ganTrainer(m) }

// NewAETrainer returns the trainer of a's encoder on backend on.
func NewAETrainer(a *AE, on Backend) (AETrainer, error) { return on.aeTrainer(a) }

// ops are what the training algorithms need of a backend whose buffers are
// of type B. A "slot" is a buffer the caller keeps between steps, which the
// backend grows when a batch is larger than before. Loss values go to
// numbered result slots, read once per step by results, so that a GPU step
// waits for the device only where the gradients go to the host anyway.
type ops[B any] interface {
	// net puts n on the backend, with its optimizer opt (nil for a frozen
	// network).
	net(n *Net, opt *Adam) (netOps[B], error)
	// load returns host's values in a backend buffer kept in *slot.
	load(slot *B, host []float32) B
	// fill returns n copies of v in a backend buffer kept in *slot.
	fill(slot *B, n int, v float32) B
	// buf returns a backend buffer of n values kept in *slot.
	buf(slot *B, n int) B
	// copyOf returns a copy of the first n values of src kept in *slot.
	copyOf(slot *B, src B, n int) B
	// bce is BCEWithLogits: the loss goes to result slot at, the mean
	// σ(logits) to slot at+1, the gradient to grad.
	bce(weight float64, logits, labels, grad B, at int)
	// featureLoss is FeatureLoss, its value to result slot at.
	featureLoss(f, target, grad B, at int)
	// host returns b itself as host memory where the backend's buffers are
	// host memory (ok false elsewhere): the terms written only for the CPU
	// (the mode-seeking term, the AE's latent regression) work on it, and
	// the trainers refuse them on other backends.
	host(b B) (values []float32, ok bool)
	// results returns the result slots once the work before is done.
	results() ([]float64, error)
	// wait waits for the work so far (downloads included) and reports its
	// first error; check reports it without waiting.
	wait() error
	check() error
	// close frees what the backend allocated for these operations and the
	// networks put on it since.
	close()
}

// netOps is a network on a backend: the passes of Net, the parts of an
// optimizer update that depend on where the buffers are, and the copies
// between the backend and the host network.
type netOps[B any] interface {
	forward(x B, batch int, train bool) B
	backward(dy B, paramGrads, needDx bool) B
	zeroGrads()
	// hostGrads returns the gradients in host memory, where they are
	// averaged over the ranks and checked; pushGrads copies them back after
	// the average changed them.
	hostGrads() ([]float32, error)
	pushGrads()
	// adam applies one Adam update with opt's hyperparameters and step count
	// to the backend's parameters and moments.
	adam(opt *Adam) error
	// pullWeights copies the parameters and state to the host network; pull
	// also the optimizer moments. push copies all three to the backend.
	pullWeights()
	pull()
	push()
	pullState()
	pushState()
}

// update averages n's gradients over the ranks of s and applies them with
// opt, unless they are not finite: then it reports the update skipped. The
// sum carries a NaN or Inf of any rank to all of them, so every rank takes
// the same decision.
func update[B any](n netOps[B], opt *Adam, s Sync) (skipped bool, err error) {
	grads, err := n.hostGrads()
	if err != nil {
		return false, err
	}
	finite, err := averageGradients(s, grads)
	if err != nil || !finite {
		return !finite, err
	}
	if s != nil && s.Size() > 1 {
		n.pushGrads()
	}
	opt.Step++
	return false, n.adam(opt)
}

// mirror implements Mirror for the trained networks of a trainer.
type mirror[B any] struct {
	ops     ops[B]
	trained []netOps[B]
}

func (m mirror[B]) Pull() error {
	for _, n := range m.trained {
		n.pull()
	}
	return m.ops.wait()
}

func (m mirror[B]) Push() error {
	for _, n := range m.trained {
		n.push()
	}
	return m.ops.check()
}

func (m mirror[B]) PullState() error {
	for _, n := range m.trained {
		n.pullState()
	}
	return m.ops.wait()
}

func (m mirror[B]) PushState() error {
	for _, n := range m.trained {
		n.pushState()
	}
	return m.ops.check()
}

func (m mirror[B]) Close() { m.ops.close() }

// resultSlots is the number of loss values a step reports: each BCE's loss
// and mean σ for D on real, D on fake and the G loss.
const resultSlots = 6
