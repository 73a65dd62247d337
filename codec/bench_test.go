package codec

import (
	"testing"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/model"
)

// BenchmarkEncode times encoding a batch of benchBatch fields in density
// with 2 threads, the work of `cosmogan encode --threads 2`, for the default
// configuration's networks (config.toml: 64², Table A.1 scaled down) and the
// paper's 2D encoder (Table A.1, 128²), and reports fields/s.
// scripts/bench_encode.py times PyTorch on the same encoders and batch.
func BenchmarkEncode(b *testing.B) {
	const benchBatch, threads = 64, 2
	for _, c := range []struct {
		name string
		arch model.Arch
	}{
		{"default-64", model.Arch{Dim: 2, Size: 64, Latent: 100, Kernel: 5,
			GFilters: []int{128, 64, 32, 16, 1}, DFilters: []int{16, 32, 64, 128, 256}}},
		{"paper-2d-128", model.Paper2D()},
	} {
		b.Run(c.name, func(b *testing.B) {
			ckpt, _ := writeAE(b, c.arch, data.Eq1)
			m, err := Load(ckpt, threads)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			f := densities(2, c.arch.Size, benchBatch, 1)
			if _, err := m.Encode(f, Options{}); err != nil { // warm-up: buffers
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := m.Encode(f, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "fields/s")
		})
	}
}
