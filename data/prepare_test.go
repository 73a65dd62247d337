package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPrepareContract: the raw NGP counts of a snapshot, axis 0 the x
// coordinate, cell floor(x / BoxSize · N), with the input's SHA-256 in the
// sidecar; the same for any chunk size.
func TestPrepareContract(t *testing.T) {
	dir := t.TempDir()
	s := sampleSpec(2, 4, binary.BigEndian) // type 1: (0.5,9.5,3.25) (7,7,7) (10,0,2.5), box 10
	in := filepath.Join(dir, "snap")
	writeSpec(t, in, s)
	snap, err := OpenSnapshot(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "field.npy")
	for _, chunk := range []int{1, 2, 100} {
		f, err := PrepareFile(out, snap, PrepareOptions{Grid: 4, Scheme: NGP, Stride: 1, Chunk: chunk})
		if err != nil {
			t.Fatal(err)
		}
		// Cells (box 10, 4 cells of 2.5): (0,3,1), (2,2,2), (0 by wrap of 10,0,1).
		want := map[int]float32{(0*4+3)*4 + 1: 1, (2*4+2)*4 + 2: 1, (0*4+0)*4 + 1: 1}
		for i, v := range f.Data {
			if v != want[i] {
				t.Fatalf("chunk %d: cell %d = %v, want %v", chunk, i, v, want[i])
			}
		}
	}
	got, err := ReadNPY(out)
	if err != nil || got.Shape()[0] != 4 || len(got.Shape()) != 3 {
		t.Fatalf("read back: %v %v", got, err)
	}
	var meta PrepareMeta
	b, _ := os.ReadFile(MetaPath(out))
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(s.bytes())
	if len(meta.Inputs) != 1 || meta.Inputs[0].SHA256 != hex.EncodeToString(sum[:]) || meta.Box != 10 || meta.Grid != 4 || meta.Assign != "ngp" {
		t.Fatalf("meta %+v", meta)
	}
}

// TestPrepareRejects: bad densities, strides and schemes end in
// ErrBadInput with nothing written.
func TestPrepareRejects(t *testing.T) {
	dir := t.TempDir()
	nan := filepath.Join(dir, "nan.npy")
	f := &Field{Dim: 2, N: 4, Data: make([]float32, 16)}
	f.Data[5] = -1
	if err := WriteArray(nan, f.Shape(), f.Data, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.npy")
	if _, err := FinishFile(out, nan, PrepareOptions{Grid: 4, Stride: 1}); !errors.Is(err, ErrBadInput) {
		t.Fatalf("negative density: %v", err)
	}
	good := filepath.Join(dir, "good.npy")
	if err := WriteArray(good, f.Shape(), make([]float32, 16), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    PrepareOptions
		want string
	}{
		{PrepareOptions{Grid: 4, Stride: 3}, "not divisible by stride 3"},
		{PrepareOptions{Grid: 4, Stride: 0}, "not divisible by stride 0"},
		{PrepareOptions{Grid: 4, Stride: 1, Sigma: math.NaN()}, "smoothing sigma NaN"},
		{PrepareOptions{Grid: 4, Stride: 1, Transform: Eq2 + 1}, "want none, eq1 or eq2"},
	} {
		if _, err := FinishFile(out, good, c.o); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want ErrBadInput saying %q", c.o, err, c.want)
		}
	}
	p := filepath.Join(dir, "p.npy")
	WriteArray(p, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}, nil)
	np, err := OpenParticlesNPY(p, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PrepareFile(out, np, PrepareOptions{Grid: 4, Scheme: DTFE, Stride: 1}); !errors.Is(err, ErrBadInput) {
		t.Fatalf("3D dtfe: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("output written after failures: %v", err)
	}
}

// plainParticles is a Particles that is not a rawParticles, for the path
// Prepare takes with sources from other packages.
type plainParticles struct {
	pos []float64
	box float64
}

func (p plainParticles) Dim() int         { return 3 }
func (p plainParticles) Box() float64     { return p.box }
func (p plainParticles) Count() int64     { return int64(len(p.pos) / 3) }
func (p plainParticles) Inputs() []string { return nil }
func (p plainParticles) Describe() string { return "test positions" }
func (p plainParticles) Each(chunk int, fn func([]float64) error) error {
	for lo := 0; lo < len(p.pos); lo += 3 * chunk {
		if err := fn(p.pos[lo:min(lo+3*chunk, len(p.pos))]); err != nil {
			return err
		}
	}
	return nil
}

// TestPrepareSourcesAndThreads: the same float32 positions as a
// little-endian float32 .npy (cells straight from the bytes), a big-endian
// float64 snapshot (decoded first) and a plain Particles give the same
// smoothed field, bit for bit, for any thread count and chunk size.
func TestPrepareSourcesAndThreads(t *testing.T) {
	dir := t.TempDir()
	const box = 10
	pos := randomPositions(3000, 3, box, 13)
	f32 := make([]float32, len(pos))
	for i, x := range pos {
		f32[i] = float32(x)
		pos[i] = float64(f32[i])
	}
	npy := filepath.Join(dir, "p.npy")
	if err := WriteArray(npy, []int{3000, 3}, f32, nil); err != nil {
		t.Fatal(err)
	}
	spec := gadgetSpec{format: 2, order: binary.BigEndian, width: 8, numFiles: 1, box: box, pos: [6][]float64{1: pos}}
	snap := filepath.Join(dir, "snap")
	writeSpec(t, snap, spec)
	np, err := OpenParticlesNPY(npy, box)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenSnapshot(snap, 0)
	if err != nil {
		t.Fatal(err)
	}
	o := PrepareOptions{Grid: 12, Scheme: NGP, Transform: Eq2, Sigma: 1.5, Stride: 3}
	var ref *Field
	for _, p := range []Particles{np, s, plainParticles{pos, box}} {
		for _, th := range []int{1, 2, 7} {
			for _, chunk := range []int{1, 1000, 5000} {
				o.Threads, o.Chunk = th, chunk
				f, err := Prepare(p, o)
				if err != nil {
					t.Fatal(err)
				}
				if ref == nil {
					ref = f
				}
				for i := range f.Data {
					if f.Data[i] != ref.Data[i] {
						t.Fatalf("%s, %d threads, chunk %d: value %d = %v, want %v", p.Describe(), th, chunk, i, f.Data[i], ref.Data[i])
					}
				}
			}
		}
	}
}

// TestPrepareNonFinite: a NaN in a little-endian float32 .npy is an
// ErrBadInput naming the file, the offset and the particle, whether its
// chunk is the last or is followed by another.
func TestPrepareNonFinite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "p.npy")
	if err := WriteArray(p, []int{4, 3}, []float32{1, 2, 3, 4, 5, 6, 7, float32(math.NaN()), 9, 1, 1, 1}, nil); err != nil {
		t.Fatal(err)
	}
	np, err := OpenParticlesNPY(p, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 2, 100} { // the bad chunk last, and not
		_, err = Prepare(np, PrepareOptions{Grid: 4, Scheme: NGP, Stride: 1, Threads: 2, Chunk: chunk})
		if want := fmt.Sprintf("offset %d: particle 2 has coordinate NaN", 128+7*4); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), want) {
			t.Fatalf("chunk %d: error %v, want ErrBadInput naming %s and %q", chunk, err, p, want)
		}
	}
}

// TestFinishFusesTransform: Finish, which transforms each slab inside the
// smoothing just before the slab is first read, equals the transform of the
// whole field followed by SmoothStride, bit for bit, for any thread count;
// with kernels narrower and wider than the stride, and a field left wholly
// transformed.
func TestFinishFusesTransform(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, c := range []struct {
		dim, n, stride int
		sigma          float64
	}{{3, 30, 3, 1}, {2, 30, 6, 0.5}, {3, 12, 2, 2}, {2, 40, 2, 1.2}} {
		f := &Field{Dim: c.dim, N: c.n, Data: make([]float32, pow(c.n, c.dim))}
		for i := range f.Data {
			f.Data[i] = float32(rng.IntN(5)) + float32(rng.IntN(2))*rng.Float32()
		}
		all := &Field{Dim: c.dim, N: c.n, Data: make([]float32, len(f.Data))}
		Eq2.Forward(all.Data, f.Data)
		want, err := SmoothStride(all, c.sigma, c.stride, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range []int{1, 2, 3} {
			g := &Field{Dim: c.dim, N: c.n, Data: slices.Clone(f.Data)}
			got, err := Finish(g, PrepareOptions{Transform: Eq2, Sigma: c.sigma, Stride: c.stride, Threads: th})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Data, want.Data) || !slices.Equal(g.Data, all.Data) {
				t.Fatalf("%+v, %d threads: fused transform and smoothing differ from the two in turn", c, th)
			}
		}
	}
}
