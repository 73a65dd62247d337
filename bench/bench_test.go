package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
)

// BenchmarkGANStep times full GAN steps of the paper's networks on 2 threads
// and reports the allocations per step, which must be 0 once warm:
//
//	go test -run '^$' -bench GANStep -benchtime 3x ./bench
func BenchmarkGANStep(b *testing.B) {
	for _, c := range []struct {
		arch  model.Arch
		batch int
	}{{model.Paper2D(), 50}, {model.Paper3D(), 4}} {
		b.Run(fmt.Sprintf("dim=%d/batch=%d", c.arch.Dim, c.batch), func(b *testing.B) {
			team := kernels.NewTeam(2)
			defer team.Close()
			ws := model.NewWorkspace(team)
			rng := rand.New(rand.NewPCG(1, 2))
			gan, err := model.NewGAN(c.arch, model.DefaultAdam(), rng)
			if err != nil {
				b.Fatal(err)
			}
			trainer, err := model.NewGANTrainer(gan, model.CPU(ws))
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
				if _, err := trainer.Step(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := trainer.Step(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// TestProjectRing checks the ring projection against hand-computed cases: on
// one GPU there is nothing to reduce; on 4 GPUs at 8 Gbit/s, 4 MB with no
// latency take 2·3 messages of 1 MB = 1 ms each, 6 ms, and 1 µs of latency
// per message adds 6 µs.
func TestProjectRing(t *testing.T) {
	got, err := ProjectRing([]int{1, 4}, 0.094, 1e-6, 4_000_000, 8)
	if err != nil {
		t.Fatal(err)
	}
	want := []Projection{{GPUs: 1, ReduceS: 0, Efficiency: 1}, {GPUs: 4, ReduceS: 0.006006, Efficiency: 0.094 / 0.100006}}
	for i, w := range want {
		g := got[i]
		if g.GPUs != w.GPUs || math.Abs(g.ReduceS-w.ReduceS) > 1e-12 || math.Abs(g.Efficiency-w.Efficiency) > 1e-12 {
			t.Errorf("projection %d: %+v, want %+v", i, g, w)
		}
	}
	if _, err := ProjectRing([]int{0}, 1, 0, 1, 1); err == nil {
		t.Error("0 GPUs accepted")
	}
}
