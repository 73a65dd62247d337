package model

import (
	"math/rand/v2"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
)

// TestMinibatchStdSeesCollapse gives D the same sample once in a varied
// batch and once in a batch of copies of it: with the minibatch standard
// deviation its logit must differ (the statistic is 0 for copies), without
// it not. TD and E must not contain the layer.
func TestMinibatchStdSeesCollapse(t *testing.T) {
	team := kernels.NewTeam(1)
	defer team.Close()
	ws := NewWorkspace(team)
	for _, std := range []bool{false, true} {
		a := tinyArchs()[0]
		a.MinibatchStd = std
		d, err := NewDiscriminator(a)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 3))
		d.Init(rng)
		spread(rng, d)
		const n = 4
		size := d.In.Size()
		varied := make([]float32, n*size)
		normalInit(rng, varied, 0, 1)
		copies := make([]float32, n*size)
		for b := range n {
			copy(copies[b*size:], varied[:size])
		}
		lv := d.Forward(ws, varied, n, false)[0]
		lc := d.Forward(ws, copies, n, false)[0]
		if differ := lv != lc; differ != std {
			t.Errorf("minibatch std %v: logit of the same sample %g in a varied batch, %g among copies", std, lv, lc)
		}
		for _, net := range []*Net{TruncatedDiscriminator(d), mustEncoder(t, a)} {
			for _, l := range net.Layers {
				if _, ok := l.(*MinibatchStd); ok {
					t.Errorf("%s holds the minibatch standard deviation", net.Name)
				}
			}
		}
	}
}

func mustEncoder(t *testing.T, a Arch) *Net {
	t.Helper()
	e, err := NewEncoder(a)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
