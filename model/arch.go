package model

import (
	"errors"
	"fmt"
)

// Arch describes the networks of Tables A.1 (2D) and A.2 (3D) of Ullmo et al.
// (2021), scalable for tests and demos. Every convolution has stride 2, so each
// layer halves (D, E) or doubles (G) the spatial size.
//
//	G:  dense latent → 2·GFilters[0]·s0^d, reshape to 2·GFilters[0] channels of
//	    s0^d (s0 = Size/2^len(GFilters)), BN, ReLU; per filter f: transposed
//	    conv → f, then BN + ReLU, except the last, which has a bias and tanh.
//	    GFilters ends with 1, the channel of a density field.
//	D:  conv 1 → DFilters[0] with bias, LeakyReLU(0.2); per further filter f:
//	    conv → f, BN, LeakyReLU; flatten; dense → 1 (a logit: the sigmoid of
//	    Table A.1 is folded into the loss for numerical stability).
//	TD: D without its last (dense) layer.
//	E:  D with the last dense layer → Latent and no activation.
//
// Table A.1 gives the dense layer of the 2D D as 8192 → 1, which is 512·4²,
// what the filters imply. Table A.2 gives 4096 → 1 for the 3D D, which does not
// match its filters: 256 channels at 4³ are 16384 values. We follow the filters,
// so the 3D dense layer is 16384 → 1 (and 16384 → 200 in E).
//
// G's first batch norm comes after the reshape, so it normalizes each channel
// over the batch and the s0^d positions, as every batch norm of the networks
// does and as the DCGAN code the paper builds on (Keras) and PyTorch's DCGAN
// do. Normalizing each of the dense layer's features over the batch alone
// would, with one sample per rank, map every z to the same β: G's output
// would not depend on z at all.
type Arch struct {
	Dim      int   `toml:"dim" json:"dim"`             // 2 or 3
	Size     int   `toml:"size" json:"size"`           // side of a crop in pixels
	Latent   int   `toml:"latent" json:"latent"`       // dimension of z
	Kernel   int   `toml:"kernel" json:"kernel"`       // convolution kernel side
	GFilters []int `toml:"g_filters" json:"g_filters"` // generator output channels per layer
	DFilters []int `toml:"d_filters" json:"d_filters"` // discriminator output channels per layer
	// MinibatchStd appends the batch's standard deviation as one more
	// channel before D's dense layer (MinibatchStd), against mode collapse.
	// Not in the paper; TD and E leave it out.
	MinibatchStd bool `toml:"minibatch_std" json:"minibatch_std,omitempty"`
	// Upsample is how G doubles its grid: "transposed" (the paper's
	// stride-2 transposed convolutions of Kernel; "" means it too), or
	// "resize" (nearest-neighbour upsampling, then a stride-1 convolution of
	// kernel 3, the smallest odd one, so that padding keeps the grid: no
	// uneven overlap, no checkerboard).
	Upsample string `toml:"upsample" json:"upsample,omitempty"`
	// DNorm is how D's convolutions are normalized: "batch" (or empty, the
	// paper's: batch norm after every convolution but the first) or
	// "spectral" (SpectralNorm on every convolution and on the dense layer,
	// no batch norm, as SN-GAN). E keeps batch norm either way.
	DNorm string `toml:"d_norm" json:"d_norm,omitempty"`
}

// resizeKernel is the kernel of the stride-1 convolutions of resize
// upsampling: odd, so that symmetric padding keeps the grid's size.
const resizeKernel = 3

// Paper2D is Table A.1: 128² images, latent 100, kernel 5.
func Paper2D() Arch {
	return Arch{Dim: 2, Size: 128, Latent: 100, Kernel: 5,
		GFilters: []int{256, 128, 64, 32, 1}, DFilters: []int{32, 64, 128, 256, 512}}
}

// Paper3D is Table A.2: 64³ cubes, latent 200, kernel 4.
func Paper3D() Arch {
	return Arch{Dim: 3, Size: 64, Latent: 200, Kernel: 4,
		GFilters: []int{128, 64, 32, 1}, DFilters: []int{32, 64, 128, 256}}
}

// Validate reports the first inconsistency of a, naming the key.
func (a Arch) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if a.Dim != 2 && a.Dim != 3 {
		bad("dim = %d, want 2 or 3", a.Dim)
	}
	if a.Latent < 1 || a.Latent > MaxLatent {
		bad("latent = %d, want 1 to %d", a.Latent, MaxLatent)
	}
	if a.Kernel < 2 || a.Kernel > MaxKernel {
		bad("kernel = %d, want 2 (stride-2 layers) to %d", a.Kernel, MaxKernel)
	}
	if a.Upsample != "" && a.Upsample != "transposed" && a.Upsample != "resize" {
		bad("upsample = %q, want \"transposed\" (the paper's) or \"resize\"", a.Upsample)
	}
	if a.DNorm != "" && a.DNorm != "batch" && a.DNorm != "spectral" {
		bad("d_norm = %q, want \"batch\" (the paper's) or \"spectral\"", a.DNorm)
	}
	if a.Size < 1 || a.Size > MaxSize {
		bad("size = %d, want 1 to %d", a.Size, MaxSize)
	}
	if len(a.GFilters) == 0 || a.GFilters[len(a.GFilters)-1] != 1 {
		bad("g_filters = %v, want a non-empty list ending with 1 (one density channel)", a.GFilters)
	}
	if len(a.DFilters) == 0 {
		bad("d_filters is empty, want at least one layer")
	}
	for _, list := range []struct {
		key string
		f   []int
	}{{"g_filters", a.GFilters}, {"d_filters", a.DFilters}} {
		if len(list.f) > MaxLayers {
			// Checked first: 1<<len below would overflow to 0.
			bad("%s has %d layers, want at most %d", list.key, len(list.f), MaxLayers)
			continue
		}
		for _, f := range list.f {
			if f < 1 || f > MaxFilters {
				bad("%s = %v: every entry must be 1 to %d", list.key, list.f, MaxFilters)
				break
			}
		}
		if len(list.f) > 0 && (a.Size < 1 || a.Size%(1<<len(list.f)) != 0) {
			bad("size = %d does not divide by 2^%d = %d, which the %d stride-2 layers of %s need", a.Size, len(list.f), 1<<len(list.f), len(list.f), list.key)
		}
	}
	if len(errs) == 0 {
		if fp := a.Footprint(); fp.GParams+fp.DParams > MaxParams {
			bad("the networks would have %d parameters, more than %d", fp.GParams+fp.DParams, int64(MaxParams))
		}
	}
	return errors.Join(errs...)
}

// Bounds of an architecture. They are far beyond the paper's networks and keep
// every size computed from a configuration or a checkpoint header (which may
// be hostile) small enough not to overflow an int or exhaust memory before
// anything is allocated.
const (
	MaxLatent  = 1 << 16
	MaxKernel  = 15
	MaxSize    = 4096
	MaxLayers  = 12
	MaxFilters = 1 << 14
	MaxParams  = 1 << 31 // one flat float32 buffer per network stays under 8 GB
)

// pad returns the padding that makes a stride-2 convolution of kernel k halve
// an even size, and the output padding that makes the transposed one double it.
func (a Arch) pad() (pad, outPad int) {
	pad = (a.Kernel - 1) / 2
	return pad, 2 + 2*pad - a.Kernel
}

// spatial returns the shape of c channels on a grid of side n.
func (a Arch) spatial(c, n int) Shape {
	if a.Dim == 2 {
		return Shape{C: c, Spatial: [3]int{1, n, n}}
	}
	return Shape{C: c, Spatial: [3]int{n, n, n}}
}

// MinBatch is the smallest number of samples that batch norm can normalize
// in training: the per-rank batch, or the global batch with synchronized
// batch norm. A batch-norm layer needs at least two values per channel; over
// one value its output is β whatever its input, and nothing before it reaches
// the output. A layer sees batch × positions values per channel, so the
// answer is 2 when some batch-norm layer of G, D or E has a single position
// (G's first when Size = 2^len(GFilters), D's and E's last when Size =
// 2^len(DFilters) with more than one D filter), and 1 otherwise. a must be
// valid (Validate).
func (a Arch) MinBatch() int {
	gFirst := a.Size >> len(a.GFilters) // side of G's first batch norm
	dLast := a.Size >> len(a.DFilters)  // side of D's last one, if D has any
	if gFirst == 1 || len(a.DFilters) > 1 && dLast == 1 {
		return 2
	}
	return 1
}

// ImageShape is the per-sample shape of a crop: one channel, Size per axis.
func (a Arch) ImageShape() Shape { return a.spatial(1, a.Size) }

// NewGenerator builds G.
func NewGenerator(a Arch) (*Net, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return NewNet("G", Shape{C: a.Latent, Spatial: [3]int{1, 1, 1}}, a.generatorLayers()...)
}

// generatorLayers are G's layers, before their setup. a must be valid.
func (a Arch) generatorLayers() []Layer {
	pad, outPad := a.pad()
	s0 := a.Size >> len(a.GFilters)
	first := a.spatial(2*a.GFilters[0], s0)
	layers := []Layer{&Dense{Out: first.Size()}, &Reshape{To: first}, &BatchNorm{}, &Activation{Kind: ReLU}}
	for i, f := range a.GFilters {
		last := i == len(a.GFilters)-1
		if a.Upsample == "resize" {
			layers = append(layers, &Upsample{Dim: a.Dim},
				&Conv{Dim: a.Dim, Out: f, Kernel: resizeKernel, Stride: 1, Pad: resizeKernel / 2, Bias: last})
		} else {
			layers = append(layers, &ConvTranspose{Dim: a.Dim, Out: f, Kernel: a.Kernel, Stride: 2, Pad: pad, OutPad: outPad, Bias: last})
		}
		if last {
			layers = append(layers, &Activation{Kind: Tanh})
		} else {
			layers = append(layers, &BatchNorm{}, &Activation{Kind: ReLU})
		}
	}
	return layers
}

// convStack is the convolutional part shared by D, TD and E; spectral
// wraps every convolution in SpectralNorm and leaves batch norm out (D with
// DNorm "spectral"), each convolution then keeping its bias.
func (a Arch) convStack(spectral bool) []Layer {
	pad, _ := a.pad()
	var layers []Layer
	for i, f := range a.DFilters {
		norm := i > 0 && !spectral
		var conv Layer = &Conv{Dim: a.Dim, Out: f, Kernel: a.Kernel, Stride: 2, Pad: pad, Bias: !norm}
		if spectral {
			conv = &SpectralNorm{Layer: conv}
		}
		layers = append(layers, conv)
		if norm {
			layers = append(layers, &BatchNorm{})
		}
		layers = append(layers, &Activation{Kind: LeakyReLU})
	}
	return layers
}

// NewDiscriminator builds D, whose output is one logit per sample.
func NewDiscriminator(a Arch) (*Net, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return NewNet("D", a.ImageShape(), a.discriminatorLayers()...)
}

// discriminatorLayers are D's layers, before their setup. a must be valid.
func (a Arch) discriminatorLayers() []Layer {
	spectral := a.DNorm == "spectral"
	layers := a.convStack(spectral)
	if a.MinibatchStd {
		layers = append(layers, &MinibatchStd{})
	}
	var out Layer = &Dense{Out: 1, Bias: true}
	if spectral {
		out = &SpectralNorm{Layer: out}
	}
	return append(layers, out)
}

// NewEncoder builds E, whose output is a latent vector per sample.
func NewEncoder(a Arch) (*Net, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return NewNet("E", a.ImageShape(), a.encoderLayers()...)
}

// encoderLayers are E's layers, before their setup. a must be valid.
func (a Arch) encoderLayers() []Layer {
	return append(a.convStack(false), &Dense{Out: a.Latent, Bias: true})
}

// TruncatedDiscriminator returns TD, the view of D without its last layer,
// and without the minibatch standard deviation if D has one: TD compares
// fields one by one (Eq. 7), and the statistic of a batch would mix them.
func TruncatedDiscriminator(d *Net) *Net {
	k := len(d.Layers) - 1
	if _, ok := d.Layers[k-1].(*MinibatchStd); ok {
		k--
	}
	return d.Truncated(k)
}
