package model

// Footprint is what the networks of an architecture hold, counted in float32
// values, worked out from the architecture alone so that a configuration can
// be judged before anything is allocated. Activation counts are per sample.
type Footprint struct {
	GParams, DParams int64 // parameters of G and of D (E has D's plus its wider last layer)
	GActs, DActs     int64 // outputs of every layer of G and of D, per sample
	Columns          int64 // the largest column matrix a convolution lowers to, per sample
}

// Footprint counts the parameters and activations of G and D. It assumes a
// valid architecture (Validate bounds every factor, so no product overflows).
func (a Arch) Footprint() Footprint {
	var fp Footprint
	kd := pow64(int64(a.Kernel), a.Dim)
	vol := func(side int) int64 { return pow64(int64(side), a.Dim) }

	// G: dense latent → 2·g0·s0^d, batch norm, then the transposed convolutions.
	s0 := a.Size >> len(a.GFilters)
	in := int64(2 * a.GFilters[0])
	fp.GParams = int64(a.Latent)*in*vol(s0) + 2*in // batch norm per channel after the reshape
	fp.GActs = 3 * in * vol(s0)
	gk := kd // the kernel volume of G's convolutions
	if a.Upsample == "resize" {
		gk = pow64(resizeKernel, a.Dim)
	}
	for i, f := range a.GFilters {
		out, side := int64(f), s0<<(i+1)
		fp.GParams += in*out*gk + 2*out // batch norm, or the last layer's bias (out = 1)
		if i == len(a.GFilters)-1 {
			fp.GParams -= out
		}
		fp.GActs += 3 * out * vol(side)
		fp.Columns = max(fp.Columns, out*kd*vol(side/2), in*gk*vol(side))
		in = out
	}

	// D: the convolutions, then dense → 1.
	// With spectral norm every convolution has a bias and no batch norm.
	spectral := a.DNorm == "spectral"
	in = 1
	for i, f := range a.DFilters {
		out, side := int64(f), a.Size>>(i+1)
		fp.DParams += in*out*kd + 2*out // batch norm, or the first layer's bias
		if i == 0 || spectral {
			fp.DParams -= out
		}
		if spectral {
			fp.DActs += 2 * out * vol(side)
		} else {
			fp.DActs += 3 * out * vol(side)
		}
		fp.Columns = max(fp.Columns, in*kd*vol(side))
		in = out
	}
	if a.MinibatchStd {
		in++
	}
	fp.DParams += in*vol(a.Size>>len(a.DFilters)) + 1
	return fp
}

func pow64(b int64, e int) int64 {
	p := int64(1)
	for range e {
		p *= b
	}
	return p
}
