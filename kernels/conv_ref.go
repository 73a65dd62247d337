package kernels

// ConvRef is the direct convolution the lowered one is tested against:
// y[b, o, q] = Σ_{c, tap} w[o, c, tap] · x[b, c, q·stride − pad + tap] over a
// batch laid out (batch, s.C, image volume), weights (cout, s.C, kernel volume)
// and output (batch, cout, column volume), accumulating in float64.
func ConvRef(s *ConvShape, batch, cout int, x, w, y []float32) {
	ivol, cvol, kvol := s.ImageVolume(), s.ColVolume(), s.KernelVolume()
	for b := 0; b < batch; b++ {
		for o := 0; o < cout; o++ {
			for od := 0; od < s.Cols[0]; od++ {
				for oh := 0; oh < s.Cols[1]; oh++ {
					for ow := 0; ow < s.Cols[2]; ow++ {
						var sum float64
						for c := 0; c < s.C; c++ {
							for kd := 0; kd < s.Kernel[0]; kd++ {
								id := od*s.Stride[0] - s.Pad[0] + kd
								for kh := 0; kh < s.Kernel[1]; kh++ {
									ih := oh*s.Stride[1] - s.Pad[1] + kh
									for kw := 0; kw < s.Kernel[2]; kw++ {
										iw := ow*s.Stride[2] - s.Pad[2] + kw
										if id < 0 || id >= s.Image[0] || ih < 0 || ih >= s.Image[1] || iw < 0 || iw >= s.Image[2] {
											continue
										}
										xv := x[(b*s.C+c)*ivol+(id*s.Image[1]+ih)*s.Image[2]+iw]
										wv := w[(o*s.C+c)*kvol+(kd*s.Kernel[1]+kh)*s.Kernel[2]+kw]
										sum += float64(xv) * float64(wv)
									}
								}
							}
						}
						y[(b*cout+o)*cvol+(od*s.Cols[1]+oh)*s.Cols[2]+ow] = float32(sum)
					}
				}
			}
		}
	}
}

// ConvAdjointRef is the direct adjoint ConvAdjoint is tested against: it
// scatters every product W[o, c, tap]·y[b, o, q] onto x[b, c, q·stride − pad
// + tap], accumulating in float64, then adds bias (nil: none).
func ConvAdjointRef(s *ConvShape, batch, cout int, w, y, bias, x []float32) {
	acc := make([]float64, len(x[:batch*s.C*s.ImageVolume()]))
	convRefVisit(s, batch, cout, func(b, o, c, q, i, tap int) {
		acc[(b*s.C+c)*s.ImageVolume()+i] += float64(w[(o*s.C+c)*s.KernelVolume()+tap]) * float64(y[(b*cout+o)*s.ColVolume()+q])
	})
	for k, v := range acc {
		if bias != nil {
			v += float64(bias[k/s.ImageVolume()%s.C])
		}
		x[k] = float32(v)
	}
}

// ConvWeightGradRef is the direct weight gradient ConvWeightGrad is tested
// against: dw[o, c, tap] += Σ dy[b, o, q]·x[b, c, q·stride − pad + tap].
func ConvWeightGradRef(s *ConvShape, batch, cout int, x, dy, dw []float32) {
	acc := make([]float64, cout*s.Rows())
	convRefVisit(s, batch, cout, func(b, o, c, q, i, tap int) {
		acc[(o*s.C+c)*s.KernelVolume()+tap] += float64(dy[(b*cout+o)*s.ColVolume()+q]) * float64(x[(b*s.C+c)*s.ImageVolume()+i])
	})
	for k, v := range acc {
		dw[k] += float32(v)
	}
}

// convRefVisit calls f for every sample b, output channel o, input channel
// c, column position q and kernel tap whose image position i lies inside the
// image.
func convRefVisit(s *ConvShape, batch, cout int, f func(b, o, c, q, i, tap int)) {
	for b := range batch {
		for o := range cout {
			for c := range s.C {
				for q := range s.ColVolume() {
					od, oh, ow := q/(s.Cols[1]*s.Cols[2]), q/s.Cols[2]%s.Cols[1], q%s.Cols[2]
					for tap := range s.KernelVolume() {
						kd, kh, kw := tap/(s.Kernel[1]*s.Kernel[2]), tap/s.Kernel[2]%s.Kernel[1], tap%s.Kernel[2]
						id, ih, iw := od*s.Stride[0]-s.Pad[0]+kd, oh*s.Stride[1]-s.Pad[1]+kh, ow*s.Stride[2]-s.Pad[2]+kw
						if id < 0 || id >= s.Image[0] || ih < 0 || ih >= s.Image[1] || iw < 0 || iw >= s.Image[2] {
							continue
						}
						f(b, o, c, q, (id*s.Image[1]+ih)*s.Image[2]+iw, tap)
					}
				}
			}
		}
	}
}
