package model

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/kernels/cuda/cudatest"
)

// trainTiny runs steps GAN steps then steps AE steps on fixed random data and
// returns the networks' parameters.
func trainTiny(t *testing.T, arch Arch, threads, steps int) (g, d, e []float32) {
	t.Helper()
	team := kernels.NewTeam(threads)
	defer team.Close()
	ws := NewWorkspace(team)
	rng := rand.New(rand.NewPCG(42, 1))
	gan, ae := cpuTrainers(t, ws, arch, rng)
	batch := 4
	b := NewGANBatch(arch, batch)
	real := b.Real
	for i := 0; i < steps; i++ {
		normalInit(rng, real, 0, 0.5)
		drawAll(b, 0.1, rng)
		if _, err := gan.Step(b); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < steps; i++ {
		normalInit(rng, real, 0, 0.5)
		if _, _, err := ae.Step(real, nil, batch); err != nil {
			t.Fatal(err)
		}
	}
	return gan.m.G.Params, gan.m.D.Params, ae.a.E.Params
}

// cpuTrainers returns the CPU trainers of a new GAN for arch and of an AE on
// its G and D, both initialized from rng.
func cpuTrainers(t *testing.T, ws *Workspace, arch Arch, rng *rand.Rand) (*ganSteps[[]float32], *aeSteps[[]float32]) {
	t.Helper()
	gan, err := NewGAN(arch, DefaultAdam(), rng)
	if err != nil {
		t.Fatal(err)
	}
	ae, err := NewAE(arch, gan.G, gan.D, DefaultAdam(), rng)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := newGANSteps[[]float32](gan, &cpuOps{ws: ws})
	if err != nil {
		t.Fatal(err)
	}
	as, err := newAESteps[[]float32](ae, &cpuOps{ws: ws})
	if err != nil {
		t.Fatal(err)
	}
	return gs, as
}

// TestTrainingIsBitwiseReproducible trains twice with the same seed on 1
// thread and on 2 and 3: every run must give the same bits, since no kernel's
// result depends on how its work is split (README: threads do not change
// results, so a run may resume with another thread count).
func TestTrainingIsBitwiseReproducible(t *testing.T) {
	// Beside the tiny networks, one large enough that GEMMs and elementwise
	// kernels are split over the workers.
	wide := Arch{Dim: 2, Size: 64, Latent: 16, Kernel: 5, GFilters: []int{32, 16, 1}, DFilters: []int{16, 32}}
	for _, arch := range append(tinyArchs(), wide) {
		g0, d0, e0 := trainTiny(t, arch, 1, 5)
		for _, threads := range []int{1, 2, 3} {
			g, d, e := trainTiny(t, arch, threads, 5)
			for _, p := range []struct {
				name string
				a, b []float32
			}{{"G", g0, g}, {"D", d0, d}, {"E", e0, e}} {
				for i := range p.a {
					if math.Float32bits(p.a[i]) != math.Float32bits(p.b[i]) {
						t.Fatalf("%dD: %s parameter %d is %g with 1 thread, %g with %d", arch.Dim, p.name, i, p.a[i], p.b[i], threads)
					}
				}
			}
		}
	}
}

// TestTrainingLearns checks that the steps actually train: D learns to tell a
// constant image from G's initial output, and the AE loss falls.
func TestTrainingLearns(t *testing.T) {
	team := kernels.NewTeam(2)
	defer team.Close()
	ws := NewWorkspace(team)
	arch := tinyArchs()[0]
	rng := rand.New(rand.NewPCG(5, 5))
	gan, ae := cpuTrainers(t, ws, arch, rng)
	batch := 8
	b := NewGANBatch(arch, batch)
	real := b.Real
	for i := range real {
		real[i] = 0.8
	}
	var first, last StepStats
	for i := 0; i < 30; i++ {
		drawAll(b, 0, rng)
		st, err := gan.Step(b)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = st
		}
		last = st
	}
	if !(last.LossD < first.LossD) || !(last.DReal > last.DFake) {
		t.Errorf("D did not learn: loss %.4f → %.4f, D(real) %.3f vs D(fake) %.3f", first.LossD, last.LossD, last.DReal, last.DFake)
	}
	normalInit(rng, real, 0, 0.5)
	l0, _ := ae.Loss(real, batch)
	for i := 0; i < 40; i++ {
		ae.Step(real, nil, batch)
	}
	if l1, _ := ae.Loss(real, batch); !(l1 < l0) {
		t.Errorf("AE loss did not fall: %.4g → %.4g", l0, l1)
	}
}

func TestStepAllocatesNothingOnceWarm(t *testing.T) {
	team := kernels.NewTeam(2)
	defer team.Close()
	ws := NewWorkspace(team)
	arch := tinyArchs()[1]
	rng := rand.New(rand.NewPCG(1, 1))
	gan, ae := cpuTrainers(t, ws, arch, rng)
	batch := 4
	b := NewGANBatch(arch, batch)
	step := func() {
		drawAll(b, 0.1, rng)
		gan.Step(b)
		ae.Step(b.Real, nil, batch)
	}
	step()
	if n := testing.AllocsPerRun(5, step); n != 0 {
		t.Errorf("a warm GAN+AE step allocates %.0f times, want 0", n)
	}
}

func TestCheckpointRoundTripAndCorruption(t *testing.T) {
	arch := tinyArchs()[0]
	rng := rand.New(rand.NewPCG(9, 9))
	gan, err := NewGAN(arch, DefaultAdam(), rng)
	if err != nil {
		t.Fatal(err)
	}
	// Every array distinct, so that a swap or a dropped one shows.
	normalInit(rng, gan.OptD.M, 0, 1)
	normalInit(rng, gan.OptD.V, 2, 1)
	normalInit(rng, gan.D.State, 5, 1)
	gan.OptD.Step = 7
	progress := Progress{Step: 123, Rollbacks: 1, Best: math.MaxFloat64, BestStep: 100, Stale: 2, WorldSize: 4, Updates: 120, Skipped: 3}
	ck := &Checkpoint{Arch: arch, Stage: "gan", Step: 123, Progress: &progress, Meta: map[string]string{"transform": "eq1"},
		Nets: []NetState{Capture(gan.G, gan.OptG), Capture(gan.D, gan.OptD)}}
	var buf bytes.Buffer
	if err := ck.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	back, err := DecodeCheckpoint(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !back.Arch.Equal(arch) || back.Step != 123 || back.Meta["transform"] != "eq1" || back.Progress == nil || *back.Progress != progress {
		t.Fatalf("header did not round-trip: %+v", back)
	}
	d2, err := NewDiscriminator(arch)
	if err != nil {
		t.Fatal(err)
	}
	opt := NewAdam(DefaultAdam(), len(d2.Params))
	sd, err := back.Net("D")
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.Restore(d2, opt); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		name      string
		got, want []float32
	}{{"parameters", d2.Params, gan.D.Params}, {"state", d2.State, gan.D.State},
		{"first moments", opt.M, gan.OptD.M}, {"second moments", opt.V, gan.OptD.V}} {
		if !slices.Equal(a.got, a.want) {
			t.Errorf("D %s did not round-trip", a.name)
		}
	}
	if opt.Step != 7 {
		t.Errorf("Adam step %d, want 7", opt.Step)
	}

	for _, damage := range []struct {
		name string
		data []byte
	}{
		{"flipped bit", func() []byte { b := bytes.Clone(raw); b[len(b)/2] ^= 1; return b }()},
		{"truncated", raw[:len(raw)-100]},
		{"empty", nil},
	} {
		if _, err := DecodeCheckpoint(bytes.NewReader(damage.data)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s checkpoint: error %v, want ErrCorrupt", damage.name, err)
		}
	}

	other := arch
	other.DFilters = []int{3, 8}
	d3, err := NewDiscriminator(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.Restore(d3, nil); err == nil {
		t.Error("restoring a D of another architecture succeeded")
	}
}

func drawAll(b *GANBatch, noise float64, rng *rand.Rand) {
	for i := 0; i < b.N; i++ {
		b.Draw(i, noise, rng)
	}
}

// TestNonFiniteGradientsSkipTheUpdate feeds a NaN into the real batch: D's
// gradients are not finite, so its update is skipped and its parameters stay
// as they were; G's update (through a finite D) goes ahead.
func TestNonFiniteGradientsSkipTheUpdate(t *testing.T) {
	for _, device := range []bool{false, true} {
		t.Run(map[bool]string{false: "cpu", true: "device"}[device], func(t *testing.T) { nonFiniteGradientsSkipTheUpdate(t, device) })
	}
}

func nonFiniteGradientsSkipTheUpdate(t *testing.T, device bool) {
	team := kernels.NewTeam(1)
	defer team.Close()
	ws := NewWorkspace(team)
	arch := tinyArchs()[0]
	rng := rand.New(rand.NewPCG(3, 3))
	gan, err := NewGAN(arch, DefaultAdam(), rng)
	if err != nil {
		t.Fatal(err)
	}
	on := CPU(ws)
	if device {
		on = GPU(cudatest.Device(t))
	}
	tr, err := NewGANTrainer(gan, on)
	if err != nil {
		t.Fatal(err)
	}
	step := func(b *GANBatch) (StepStats, error) {
		st, err := tr.Step(b)
		if err == nil {
			err = tr.Pull()
		}
		return st, err
	}
	b := NewGANBatch(arch, 4)
	normalInit(rng, b.Real, 0, 0.5)
	drawAll(b, 0, rng)
	b.Real[7] = float32(math.NaN())
	d0, g0 := append([]float32(nil), gan.D.Params...), append([]float32(nil), gan.G.Params...)
	st, err := step(b)
	if err != nil {
		t.Fatal(err)
	}
	if !st.SkipD || st.SkipG {
		t.Errorf("SkipD %v, SkipG %v; want D skipped, G not", st.SkipD, st.SkipG)
	}
	for i := range d0 {
		if math.Float32bits(d0[i]) != math.Float32bits(gan.D.Params[i]) {
			t.Fatalf("D parameter %d changed in a skipped update", i)
		}
	}
	if slices.Equal(g0, gan.G.Params) {
		t.Error("G was not updated")
	}
}

// TestCheckpointLegacyProgress: checkpoints of earlier versions kept the
// progress as JSON in a string of Meta, and the world size twice; they read
// as the typed header.
func TestCheckpointLegacyProgress(t *testing.T) {
	arch := tinyArchs()[0]
	g, err := NewGenerator(arch)
	if err != nil {
		t.Fatal(err)
	}
	ck := &Checkpoint{Arch: arch, Stage: "gan", Step: 20, Nets: []NetState{Capture(g, nil)},
		Meta: map[string]string{"transform": "eq1", "world_size": "2",
			"progress": `{"step":20,"rollbacks":0,"best":1.5,"best_step":10,"stale":1,"world_size":2,"updates":20,"skipped_in_a_row":0}`}}
	var buf bytes.Buffer
	if err := ck.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeCheckpoint(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := Progress{Step: 20, Best: 1.5, BestStep: 10, Stale: 1, WorldSize: 2, Updates: 20}
	if back.Progress == nil || *back.Progress != want || len(back.Meta) != 1 {
		t.Errorf("legacy header read as progress %+v, meta %v; want %+v and only the transform", back.Progress, back.Meta, want)
	}
	ck.Meta["progress"] = "{"
	buf.Reset()
	if err := ck.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeCheckpoint(&buf); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a legacy progress that does not decode: %v, want ErrCorrupt", err)
	}
}

// TestModeSeeking checks the mode-seeking term against its definition on a
// pair whose value is known, and its gradient against finite differences,
// with samples kept apart so that no |x_a − x_b| kink is within ±h.
func TestModeSeeking(t *testing.T) {
	// One pair: x differ by 0.5 everywhere, z by 2: r = 0.25, L = λ/(r + ε).
	x := []float32{0, 0, 0, 0.5, 0.5, 0.5}
	z := []float32{1, -1, 3, 1}
	grad := make([]float32, len(x))
	want := 2 / (0.25 + modeSeekingEps)
	if got := modeSeeking(x, z, grad, 2, 2); math.Abs(got-want) > 1e-9*want {
		t.Errorf("mode-seeking term %g, want %g", got, want)
	}

	rng := rand.New(rand.NewPCG(8, 9))
	batch, px, pz := 5, 12, 4 // odd: the last sample is left out
	x = make([]float32, batch*px)
	z = make([]float32, batch*pz)
	normalInit(rng, z, 0, 1)
	for i := range x {
		x[i] = float32(rng.Float64()*0.1 + 0.3*float64(i%3) + float64(i/px)) // pairs far apart
	}
	grad = make([]float32, len(x))
	modeSeeking(x, z, grad, batch, 0.7)
	loss := func() float64 { return modeSeeking(x, z, make([]float32, len(x)), batch, 0.7) }
	checkFD(t, fdCase{name: "mode seeking wrt x", x: x, grad: grad, h: 1e-3, tol: 1e-2, loss: loss, count: len(x)}, rng)
	for _, g := range grad[4*px:] {
		if g != 0 {
			t.Fatal("the unpaired last sample of an odd batch has a gradient")
		}
	}
}
