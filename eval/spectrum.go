package eval

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Power spectrum, Eq. (8): A is the unnormalized DFT of the density (numpy's
// fftn), k has integer components in −N/2 … N/2−1, and P(ν) is the mean of
// |A_k|²/N^d over all modes of the full grid with round(|k|) = ν, ν = 1 … N/2.
// White noise of variance σ² thus has P(ν) = σ².
//
// Only the half spectrum of the real-to-complex transform is computed: the
// last axis keeps k_x = 0 … N/2, and each mode with 0 < k_x < N/2 stands for
// itself and its conjugate −k (same |A|, same |k|), so it counts twice; k_x = 0
// and k_x = N/2 (which is −N/2) count once. The full-grid mean is then the
// weighted mean over the half spectrum.

// spectrumPlan holds what every image of one shape shares: the bin and
// weight of each half-spectrum mode and the weighted mode count per bin.
type spectrumPlan struct {
	n, dim, half int     // side, dimension, N/2+1
	bin          []int32 // ν−1 of each half-spectrum mode, −1 if not in 1 … N/2
	weight       []float64
	modes        []float64 // weighted number of modes per bin
}

func newSpectrumPlan(n, dim int) *spectrumPlan {
	p := &spectrumPlan{n: n, dim: dim, half: n/2 + 1}
	size := p.half
	for range dim - 1 {
		size *= n
	}
	p.bin = make([]int32, size)
	p.weight = make([]float64, size)
	p.modes = make([]float64, n/2)
	for idx := range size {
		kx := idx % p.half
		k2 := kx * kx
		for a, rest := 0, idx/p.half; a < dim-1; a, rest = a+1, rest/n {
			k := rest % n
			if k >= n/2 {
				k -= n
			}
			k2 += k * k
		}
		nu := int(math.Round(math.Sqrt(float64(k2))))
		w := 2.0
		if kx == 0 || kx == n/2 {
			w = 1
		}
		p.bin[idx], p.weight[idx] = -1, w
		if nu >= 1 && nu <= n/2 {
			p.bin[idx] = int32(nu - 1)
			p.modes[nu-1] += w
		}
	}
	return p
}

// spectrumWork is one worker's transforms and buffers: the radix-2 code
// of fft.go when N is a power of two, gonum's mixed-radix FFTPACK otherwise.
type spectrumWork struct {
	plan *spectrumPlan
	r2   *radix2 // nil unless N is a power of two
	rfft *fourier.FFT
	cfft *fourier.CmplxFFT
	row  []float64
	spec []complex128 // the half spectrum, C order, last axis N/2+1 long
	line []complex128
}

func (p *spectrumPlan) newWork() *spectrumWork {
	s := &spectrumWork{plan: p, spec: make([]complex128, len(p.bin)), line: make([]complex128, p.n)}
	if isPow2(p.n) {
		s.r2 = newRadix2(p.n)
	} else {
		s.rfft, s.cfft, s.row = fourier.NewFFT(p.n), fourier.NewCmplxFFT(p.n), make([]float64, p.n)
	}
	return s
}

// power writes P(ν), ν = 1 … N/2, of img into out[ν−1].
func (s *spectrumWork) power(img []float32, out []float64) {
	p := s.plan
	s.lastAxis(img)
	// Every other axis: the axis with stride st groups its lines in blocks
	// of n*st values, line c of a block running down its n rows of st.
	for st := p.half; st < len(s.spec); st *= p.n {
		for base := 0; base < len(s.spec); base += p.n * st {
			s.columns(s.spec[base:base+p.n*st], st)
		}
	}
	clear(out)
	for i, a := range s.spec {
		if b := p.bin[i]; b >= 0 {
			out[b] += p.weight[i] * (real(a)*real(a) + imag(a)*imag(a))
		}
	}
	norm := float64(len(img))
	for b := range out {
		out[b] /= norm * p.modes[b]
	}
}

// lastAxis writes the real-to-complex transforms of the rows of img into
// spec. With radix2, two real rows a and b share one complex transform Z of
// a + ib: A_k = (Z_k + conj Z_(n−k))/2 and B_k = (Z_k − conj Z_(n−k))/(2i).
func (s *spectrumWork) lastAxis(img []float32) {
	n, h := s.plan.n, s.plan.half
	rows := len(img) / n
	if s.r2 == nil {
		for r := range rows {
			for x, v := range img[r*n : (r+1)*n] {
				s.row[x] = float64(v)
			}
			s.rfft.Coefficients(s.spec[r*h:(r+1)*h], s.row)
		}
		return
	}
	z := s.line
	for r := 0; r < rows; r += 2 { // rows = n^(d−1) is even
		a, b := img[r*n:(r+1)*n], img[(r+1)*n:(r+2)*n]
		for x := range z {
			z[x] = complex(float64(a[x]), float64(b[x]))
		}
		s.r2.line(z)
		ra, rb := s.spec[r*h:(r+1)*h], s.spec[(r+1)*h:(r+2)*h]
		for k := range h {
			zk, zc := z[k], z[(n-k)&(n-1)]
			zc = complex(real(zc), -imag(zc))
			s, d := zk+zc, zk-zc // A_k = s/2, B_k = d/(2i) = −i d/2
			ra[k] = complex(real(s)/2, imag(s)/2)
			rb[k] = complex(imag(d)/2, -real(d)/2)
		}
	}
}

// columns transforms the width sequences running down the n rows of x.
func (s *spectrumWork) columns(x []complex128, width int) {
	if s.r2 != nil {
		s.r2.columns(x, width)
		return
	}
	n := s.plan.n
	for c := range width {
		for t := range n {
			s.line[t] = x[t*width+c]
		}
		s.cfft.Coefficients(s.line, s.line)
		for t := range n {
			x[t*width+c] = s.line[t]
		}
	}
}
