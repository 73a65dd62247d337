package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/internal/atomicfile"
	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
)

// The networks of the tests: tiny, so that every test runs in milliseconds.
var (
	tiny2D = model.Arch{Dim: 2, Size: 16, Latent: 8, Kernel: 5, GFilters: []int{8, 4, 1}, DFilters: []int{4, 8}}
	tiny3D = model.Arch{Dim: 3, Size: 8, Latent: 6, Kernel: 4, GFilters: []int{4, 1}, DFilters: []int{2, 4}}
)

// writeAE writes an untrained autoencoder checkpoint of arch, laid out as
// the daemon's ae-final.ckpt (E, G and D, stage "ae", the transform in its
// metadata), and returns its path and networks.
func writeAE(t testing.TB, arch model.Arch, tr data.Transform) (string, *model.AE) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	gan, err := model.NewGAN(arch, model.DefaultAdam(), rng)
	if err != nil {
		t.Fatal(err)
	}
	ae, err := model.NewAE(arch, gan.G, gan.D, model.DefaultAdam(), rng)
	if err != nil {
		t.Fatal(err)
	}
	ck := &model.Checkpoint{Arch: arch, Stage: "ae", Step: 20, Meta: map[string]string{"transform": tr.String()},
		Nets: []model.NetState{model.Capture(ae.E, nil), model.Capture(gan.G, nil), model.Capture(gan.D, nil)}}
	path := filepath.Join(t.TempDir(), "ae-final.ckpt")
	if err := atomicfile.Write(path, ck.Encode); err != nil {
		t.Fatal(err)
	}
	return path, ae
}

// densities returns n fields of side n in dim dimensions of positive random
// densities (lognormal, in units of the mean).
func densities(dim, side, n int, seed uint64) Fields {
	rng := rand.New(rand.NewPCG(seed, 3))
	f := Fields{Dim: dim, Side: side, Data: make([]float32, n*gridVolume(side, dim))}
	for i := range f.Data {
		f.Data[i] = float32(math.Exp(rng.NormFloat64()))
	}
	return f
}

func mustWriteFields(t *testing.T, f Fields) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fields.npy")
	if err := WriteFields(path, f); err != nil {
		t.Fatal(err)
	}
	return path
}

// encodeFile encodes the fields file in through EncodeFile with ckpt and
// returns the latent file written, and what it holds.
func encodeFile(t *testing.T, ckpt, in string, opt Options) (string, Latent) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "latent.npy")
	if err := EncodeFile(ckpt, in, path, 2, opt); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLatent(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, l
}

// sameBits fails unless got and want hold the same float32 values bit for
// bit.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %g, want %g", what, i, got[i], want[i])
		}
	}
}

// TestEncodeDecodeIsTheModelsReconstruction checks that encode then decode,
// through files, gives G(E(x)) of the autoencoder itself bit for bit, in the
// transformed space and, through the inverse transform, in density; and that
// a field given in density encodes as its transform does.
func TestEncodeDecodeIsTheModelsReconstruction(t *testing.T) {
	ckpt, ae := writeAE(t, tiny2D, data.Eq1)
	// More fields than model.InferChunk, so that the batches' seams are crossed.
	const n = model.InferChunk + 9
	f := densities(2, 16, n, 1)
	// The reference: the networks on the transformed batch.
	x := slices.Clone(f.Data)
	data.Eq1.Forward(x, x)
	team := kernels.NewTeam(1)
	defer team.Close()
	ws := model.NewWorkspace(team)
	z := slices.Clone(ae.E.Forward(ws, x, n, false))
	recon := slices.Clone(ae.G.Forward(ws, z, n, false))

	_, got := encodeFile(t, ckpt, mustWriteFields(t, f), Options{Space: Density})
	sameBits(t, "E(x) of fields in density", got.Data, z)
	if got.Width != tiny2D.Latent || got.Tiles != nil {
		t.Errorf("latent width %d, tiling %v; want %d and none", got.Width, got.Tiles, tiny2D.Latent)
	}
	latent, got := encodeFile(t, ckpt, mustWriteFields(t, Fields{Dim: 2, Side: 16, Data: x}), Options{Space: Transformed})
	sameBits(t, "E(x) of the same fields transformed", got.Data, z)

	dir := t.TempDir()

	for _, space := range []Space{Transformed, Density} {
		out := filepath.Join(dir, space.String()+".npy")
		if err := DecodeFile(ckpt, latent, out, 2, Options{Space: space}); err != nil {
			t.Fatal(err)
		}
		dec, err := ReadFields(out)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(recon)
		if space == Density {
			data.Eq1.Inverse(want, want)
		}
		sameBits(t, "G(E(x)) in "+space.String(), dec.Data, want)
		if dec.Dim != 2 || dec.Side != 16 || dec.Count() != n {
			t.Errorf("decoded %s: %d fields of side %d in %dD, want %d of 16 in 2D", space, dec.Count(), dec.Side, dec.Dim, n)
		}
		rec := filepath.Join(dir, "reconstructed-"+space.String()+".npy")
		in := mustWriteFields(t, f)
		if space == Transformed {
			in = mustWriteFields(t, Fields{Dim: 2, Side: 16, Data: x})
		}
		if err := ReconstructFile(ckpt, in, rec, 1, Options{Space: space}); err != nil {
			t.Fatal(err)
		}
		r, err := ReadFields(rec)
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, "reconstruct in "+space.String(), r.Data, want)
	}
}

// TestTilingReassembles checks that a field of 2×2 (2D) or 2×2×2 (3D) tiles,
// each different, is encoded tile by tile in C order of the tiles and
// reassembled with every tile in its place: the reconstruction of the large
// field equals, tile for tile, that of its tiles encoded as separate fields.
func TestTilingReassembles(t *testing.T) {
	for _, arch := range []model.Arch{tiny2D, tiny3D} {
		t.Run(fmt.Sprintf("%dD", arch.Dim), func(t *testing.T) {
			ckpt, _ := writeAE(t, arch, data.Eq1)
			m, err := Load(ckpt, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			s, dim := arch.Size, arch.Dim
			per := gridVolume(2, dim)
			// The tiles as separate fields, each its own level of density.
			tiles := densities(dim, s, per, 2)
			vol := gridVolume(s, dim)
			for i := range tiles.Data {
				tiles.Data[i] *= float32(1 + 3*(i/vol))
			}
			// The large field, assembled by hand: tile k at origin s·(digits of k in base 2).
			big := Fields{Dim: dim, Side: 2 * s, Data: make([]float32, per*vol)}
			at := func(k, i int) int { // index in big of value i of tile k
				o, p := []int{k >> 2 & 1, k >> 1 & 1, k & 1}, []int{i / (s * s), i / s % s, i % s}
				if dim == 2 {
					o[0], p[0] = 0, 0
				}
				return ((o[0]*s+p[0])*2*s+o[1]*s+p[1])*2*s + o[2]*s + p[2]
			}
			for k := range per {
				for i := range vol {
					big.Data[at(k, i)] = tiles.Data[k*vol+i]
				}
			}
			l, err := m.Encode(big, Options{Tile: true})
			if err != nil {
				t.Fatal(err)
			}
			if l.Tiles == nil || l.Tiles.Fields != 1 || len(l.Tiles.Rows) != per {
				t.Fatalf("tiling %+v, want %d tiles of one field", l.Tiles, per)
			}
			for k, r := range l.Tiles.Rows {
				if o := big.index(at(k, 0)); r.Field != 0 || !slices.Equal(r.Origin, o) {
					t.Errorf("row %d: field %d, origin %v; want field 0, origin %v", k, r.Field, r.Origin, o)
				}
			}
			// Row k encodes tile k: the tiles encoded as separate fields.
			lt, err := m.Encode(tiles, Options{})
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "latent vectors of the tiles", l.Data, lt.Data)
			want, err := m.Reconstruct(tiles, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for a := range per {
				for b := range a {
					if slices.Equal(want.Data[a*vol:(a+1)*vol], want.Data[b*vol:(b+1)*vol]) {
						t.Fatalf("tiles %d and %d reconstruct alike: the test cannot tell them apart", a, b)
					}
				}
			}
			got, err := m.Decode(l, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Side != 2*s || got.Count() != 1 {
				t.Fatalf("decoded %d fields of side %d, want 1 of %d", got.Count(), got.Side, 2*s)
			}
			for k := range per {
				for i := range vol {
					if g, w := got.Data[at(k, i)], want.Data[k*vol+i]; math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("tile %d value %d: %g, want %g", k, i, g, w)
					}
				}
			}
		})
	}
}

// TestTilingFileRoundTrip checks that a tiled encoding written to a file and
// read back decodes to the field's shape, and that encoding the same output
// again without tiles removes the tiling beside it.
func TestTilingFileRoundTrip(t *testing.T) {
	ckpt, _ := writeAE(t, tiny2D, data.Eq1)
	in := mustWriteFields(t, densities(2, 32, 3, 4))
	latent, _ := encodeFile(t, ckpt, in, Options{Tile: true})
	out := filepath.Join(t.TempDir(), "out.npy")
	if err := DecodeFile(ckpt, latent, out, 1, Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFields(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Count() != 3 || f.Side != 32 {
		t.Errorf("decoded %d fields of side %d, want 3 of 32", f.Count(), f.Side)
	}
	if err := EncodeFile(ckpt, mustWriteFields(t, densities(2, 16, 2, 5)), latent, 1, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(data.MetaPath(latent)); !os.IsNotExist(err) {
		t.Errorf("%s still there after an encoding without tiles (stat: %v)", data.MetaPath(latent), err)
	}
}

// TestFloat64InputEqualsFloat32 checks that fields stored as float64 encode
// exactly as the same values stored as float32.
func TestFloat64InputEqualsFloat32(t *testing.T) {
	ckpt, _ := writeAE(t, tiny2D, data.Eq1)
	f := densities(2, 16, 3, 6)
	dir := t.TempDir()
	in64 := filepath.Join(dir, "f64.npy")
	header := "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 16, 16), }"
	header += string(slices.Repeat([]byte(" "), 63-(10+len(header))%64)) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), byte(len(header)>>8))
	b = append(b, header...)
	for _, v := range f.Data {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(v)))
	}
	if err := os.WriteFile(in64, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, a := encodeFile(t, ckpt, mustWriteFields(t, f), Options{})
	_, c := encodeFile(t, ckpt, in64, Options{})
	sameBits(t, "latent of float64 fields", c.Data, a.Data)
}

// TestStripKeepsEncoderAndGenerator checks that a stripped checkpoint is
// smaller and encodes and decodes exactly as the full one.
func TestStripKeepsEncoderAndGenerator(t *testing.T) {
	full, _ := writeAE(t, tiny2D, data.Eq1)
	dir := t.TempDir()
	small := filepath.Join(dir, "ae.ckpt")
	if err := Strip(full, small); err != nil {
		t.Fatal(err)
	}
	a, b := mustStat(t, full), mustStat(t, small)
	if b >= a {
		t.Errorf("stripped checkpoint has %d bytes, the full one %d", b, a)
	}
	in := mustWriteFields(t, densities(2, 16, 4, 7))
	var outs [2][]float32
	for i, ckpt := range []string{full, small} {
		out := filepath.Join(dir, fmt.Sprint(i, ".npy"))
		if err := ReconstructFile(ckpt, in, out, 1, Options{}); err != nil {
			t.Fatal(err)
		}
		f, err := ReadFields(out)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = f.Data
	}
	sameBits(t, "reconstruction with the stripped checkpoint", outs[1], outs[0])
}

func mustStat(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestStripKeepsTheGeneratorOfAGAN strips a GAN checkpoint: only G remains,
// with its parameters and state, and none of D or of Adam's moments.
func TestStripKeepsTheGeneratorOfAGAN(t *testing.T) {
	gan, err := model.NewGAN(tiny2D, model.DefaultAdam(), rand.New(rand.NewPCG(4, 4)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	full, small := filepath.Join(dir, "gan-best.ckpt"), filepath.Join(dir, "gan.ckpt")
	ck := &model.Checkpoint{Arch: tiny2D, Stage: "gan", Step: 7, Meta: map[string]string{"transform": "eq1"},
		Nets: []model.NetState{model.Capture(gan.G, gan.OptG), model.Capture(gan.D, gan.OptD)}}
	if err := atomicfile.Write(full, ck.Encode); err != nil {
		t.Fatal(err)
	}
	if err := Strip(full, small); err != nil {
		t.Fatal(err)
	}
	back, err := readCheckpoint(small)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Nets) != 1 || back.Nets[0].Name != "G" || back.Nets[0].HasAdam || back.Meta["transform"] != "eq1" {
		t.Fatalf("stripped checkpoint holds %d networks (first %q, Adam %v), meta %v: want G alone without moments",
			len(back.Nets), back.Nets[0].Name, back.Nets[0].HasAdam, back.Meta)
	}
	sameBits(t, "G's parameters", back.Nets[0].Params, gan.G.Params)
	sameBits(t, "G's state", back.Nets[0].State, gan.G.State)
}
