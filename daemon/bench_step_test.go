package daemon

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
)

// BenchmarkGANStep times full GAN steps of the paper's networks on 2 threads
// and reports the allocations per step, which must be 0 once warm:
//
//	go test -run '^$' -bench GANStep -benchtime 3x ./daemon
func BenchmarkGANStep(b *testing.B) {
	for _, c := range []struct {
		arch  model.Arch
		batch int
	}{{model.Paper2D(), 50}, {model.Paper3D(), 4}} {
		b.Run(fmt.Sprintf("dim=%d/batch=%d", c.arch.Dim, c.batch), func(b *testing.B) {
			team := kernels.NewTeam(2)
			defer team.Close()
			ctx := model.NewCtx(team)
			rng := rand.New(rand.NewPCG(1, 2))
			gan, err := model.NewGAN(c.arch, model.DefaultAdam(), rng)
			if err != nil {
				b.Fatal(err)
			}
			batch := model.NewGANBatch(c.arch, c.batch)
			for i := range batch.Real {
				batch.Real[i] = float32(2*rng.Float64() - 1)
			}
			for i := range c.batch {
				batch.Draw(i, 0.05, rng)
			}
			// Warm up: buffers grow, then a collection of the setup's garbage
			// and a second step, whose waits refill the runtime's pools (a
			// collection empties them; refilling them allocates).
			for range 2 {
				runtime.GC()
				if _, err := gan.Step(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := gan.Step(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
