package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
)

// TestGeneratorDependsOnZWithOneSample trains G's forward pass on batches of
// one sample, as a rank does whose share of the global batch is 1. Batch norm
// per channel after the reshape normalizes over the s0^d positions of that
// sample, so two latent vectors give two images. Normalized per dense feature
// (over the batch alone) every feature became β: the output did not depend on
// z at all (max |G(z_a) − G(z_b)| = 0).
func TestGeneratorDependsOnZWithOneSample(t *testing.T) {
	team := kernels.NewTeam(1)
	defer team.Close()
	ws := NewWorkspace(team)
	arch := Arch{Dim: 2, Size: 32, Latent: 8, Kernel: 5, GFilters: []int{8, 4, 1}, DFilters: []int{4, 8}} // s0 = 4
	g, err := NewGenerator(arch)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	g.Init(rng)
	za, zb := make([]float32, arch.Latent), make([]float32, arch.Latent)
	SampleLatent(za, rng)
	SampleLatent(zb, rng)
	a := append([]float32(nil), g.Forward(ws, za, 1, true)...)
	b := g.Forward(ws, zb, 1, true)
	var diff float64
	for i := range a {
		diff = max(diff, math.Abs(float64(a[i]-b[i])))
	}
	if diff < 1e-3 {
		t.Fatalf("batch of 1: max |G(z_a) − G(z_b)| = %g, want G's output to depend on z", diff)
	}
}

// TestMinBatch checks MinBatch against the batch-norm layers of the built
// networks: 2 exactly when one of them has a single position per channel.
func TestMinBatch(t *testing.T) {
	for _, c := range []struct {
		arch Arch
		want int
	}{
		{Paper2D(), 1},
		{Paper3D(), 1},
		{tinyArchs()[0], 1},
		{tinyArchs()[1], 2}, // G's first batch norm at 1³
		{Arch{Dim: 2, Size: 16, Latent: 4, Kernel: 4, GFilters: []int{4, 2, 1}, DFilters: []int{2, 4, 8, 16}}, 2}, // D's last at 1²
		{Arch{Dim: 2, Size: 16, Latent: 4, Kernel: 4, GFilters: []int{4, 2, 1}, DFilters: []int{16}}, 1},          // 1² but no batch norm in D
	} {
		g, err := NewGenerator(c.arch)
		if err != nil {
			t.Fatal(err)
		}
		d, err := NewDiscriminator(c.arch)
		if err != nil {
			t.Fatal(err)
		}
		e, err := NewEncoder(c.arch)
		if err != nil {
			t.Fatal(err)
		}
		built := 1
		for _, n := range []*Net{g, d, e} {
			for _, l := range n.Layers {
				if bn, ok := l.(*BatchNorm); ok && bn.p == 1 {
					built = 2
				}
			}
		}
		if got := c.arch.MinBatch(); got != c.want || got != built {
			t.Errorf("%+v: MinBatch() = %d, want %d (the built networks need %d)", c.arch, got, c.want, built)
		}
	}
}

// TestRestoreRefusesAnotherLayout restores into G a checkpoint whose G has
// more batch-norm values than the G built from the same architecture, as a
// checkpoint written before G's first batch norm became per channel has: the
// error must say why the sizes differ and what to do.
func TestRestoreRefusesAnotherLayout(t *testing.T) {
	arch := tinyArchs()[0]
	g, err := NewGenerator(arch)
	if err != nil {
		t.Fatal(err)
	}
	old := Capture(g, nil)
	// The old first batch norm had γ, β and running mean and variance per
	// dense feature (2·6·2² of them) instead of per channel (2·6).
	extra := 2 * (2*6*4 - 2*6)
	old.Params = append(old.Params, make([]float32, extra)...)
	old.State = append(old.State, make([]float32, extra)...)
	err = old.Restore(g, nil)
	if err == nil {
		t.Fatal("a checkpoint with another batch-norm layout was restored")
	}
	for _, want := range []string{"checkpoint network G", "per channel", "train again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
