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
