package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestFootprintCountsWhatTheNetworksHold checks the analytic parameter count
// against the networks actually built, for the paper's and a small
// architecture in 2D and 3D.
func TestFootprintCountsWhatTheNetworksHold(t *testing.T) {
	for _, a := range []Arch{Paper2D(), Paper3D(),
		{Dim: 2, Size: 16, Latent: 8, Kernel: 5, GFilters: []int{8, 4, 1}, DFilters: []int{4, 8}},
		{Dim: 3, Size: 8, Latent: 5, Kernel: 4, GFilters: []int{4, 1}, DFilters: []int{3}},
		{Dim: 2, Size: 16, Latent: 8, Kernel: 4, GFilters: []int{8, 4, 1}, DFilters: []int{4, 8}, MinibatchStd: true},
		{Dim: 3, Size: 8, Latent: 5, Kernel: 4, GFilters: []int{4, 1}, DFilters: []int{3}, Upsample: "resize"},
		{Dim: 2, Size: 16, Latent: 8, Kernel: 4, GFilters: []int{8, 4, 1}, DFilters: []int{4, 8}, DNorm: "spectral"}} {
		g, err := NewGenerator(a)
		if err != nil {
			t.Fatal(err)
		}
		d, err := NewDiscriminator(a)
		if err != nil {
			t.Fatal(err)
		}
		fp := a.Footprint()
		if fp.GParams != int64(len(g.Params)) || fp.DParams != int64(len(d.Params)) {
			t.Errorf("%+v: footprint %d + %d parameters, the networks have %d + %d", a, fp.GParams, fp.DParams, len(g.Params), len(d.Params))
		}
	}
}

// TestArchRefusesHostileSizes checks that sizes that would overflow or
// exhaust memory are refused by Validate, not by a panic later.
func TestArchRefusesHostileSizes(t *testing.T) {
	for name, a := range map[string]Arch{
		"64 layers":    {Dim: 2, Size: 64, Latent: 8, Kernel: 4, GFilters: make64(), DFilters: []int{4}},
		"huge latent":  {Dim: 2, Size: 64, Latent: 1e12, Kernel: 4, GFilters: []int{1}, DFilters: []int{4}},
		"huge filters": {Dim: 3, Size: 64, Latent: 8, Kernel: 4, GFilters: []int{1 << 14, 1 << 14, 1}, DFilters: []int{4}},
		"huge size":    {Dim: 2, Size: 1 << 20, Latent: 8, Kernel: 4, GFilters: []int{1}, DFilters: []int{4}},
	} {
		if err := a.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, a)
		}
	}
}

func make64() []int {
	f := make([]int, 64)
	for i := range f {
		f[i] = 1
	}
	return f
}

// TestCheckpointRefusesCraftedHeaders rewrites the header of a valid
// checkpoint and seals it with a correct checksum, as an attacker (or a bug
// elsewhere) could: every crafted size must be ErrCorrupt, never a panic or
// a huge allocation.
func TestCheckpointRefusesCraftedHeaders(t *testing.T) {
	arch := tinyArchs()[0]
	gan, err := NewGAN(arch, DefaultAdam(), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	ck := &Checkpoint{Arch: arch, Stage: "gan", Nets: []NetState{Capture(gan.G, nil)}}
	if err := ck.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	hl := int(binary.LittleEndian.Uint32(raw[len(checkpointMagic):]))
	header := string(raw[len(checkpointMagic)+4 : len(checkpointMagic)+4+hl])
	payload := raw[len(checkpointMagic)+4+hl : len(raw)-sha256.Size]
	for name, edit := range map[string][2]string{
		"n_params 2^62+1":  {`"n_params":` + strconv.Itoa(len(gan.G.Params)), `"n_params":4611686018427387905`},
		"negative n_state": {`"n_state":` + strconv.Itoa(len(gan.G.State)), `"n_state":-1`},
		"64 filters":       {`"d_filters":[`, `"d_filters":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,`},
		"latent 1e12":      {`"latent":` + strconv.Itoa(arch.Latent), `"latent":1000000000000`},
	} {
		if !strings.Contains(header, edit[0]) {
			t.Fatalf("%s: header %s has no %s", name, header, edit[0])
		}
		h := strings.Replace(header, edit[0], edit[1], 1)
		var b []byte
		b = append(b, checkpointMagic...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
		b = append(append(b, h...), payload...)
		sum := sha256.Sum256(b)
		if _, err := DecodeCheckpoint(bytes.NewReader(append(b, sum[:]...))); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error %v, want ErrCorrupt", name, err)
		}
	}
}
