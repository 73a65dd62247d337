package daemon

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/internal/sysmem"
	"github.com/cosmogan/cosmogan/model"
)

// CutCrops makes a held-out set to judge a generator against: it reads the
// density fields matching pattern (.npy, particles per pixel or ρ/ρ̄, checked
// and divided by their mean as data.source = "files" does), transforms them
// with tr, and cuts perField random periodic crops of side size from each,
// each under a random symmetry, field after field in the order of the sorted
// paths. So crop i comes from field i / perField, which is what
// `cosmogan eval --real-fields` needs to split the noise floors by field. It
// returns the crops and the files they came from.
func CutCrops(pattern string, dim, size, perField int, seed uint64, tr data.Transform) ([]float32, []string, error) {
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, nil, configErrorf("--in %q: %v", pattern, err)
	}
	if len(paths) == 0 {
		return nil, nil, configErrorf("--in %q matches no file", pattern)
	}
	if perField < 1 || size < 1 || size > model.MaxSize {
		return nil, nil, configErrorf("--per-field %d, --size %d: want at least one crop of a side from 1 to %d", perField, size, model.MaxSize)
	}
	sort.Strings(paths)
	vol := 1
	for range dim {
		vol *= size
	}
	if total := sysmem.Total(); total > 0 && int64(len(paths))*int64(perField)*int64(vol)*4 > total/2 {
		return nil, nil, configErrorf("%d files × %d crops of side %d do not fit in half of this machine's memory", len(paths), perField, size)
	}
	reader := &runner{cfg: Config{Model: model.Arch{Dim: dim, Size: size}}}
	rng := newStreamFor(seed, "crops").fixed()
	crops := make([]float32, len(paths)*perField*vol)
	for i, path := range paths {
		f, err := reader.readDensity(path)
		if err != nil {
			return nil, nil, err
		}
		tr.Forward(f.Data, f.Data)
		set := cropSet{fields: []*data.Field{f}}
		set.draw(crops[i*perField*vol:(i+1)*perField*vol], size, perField, rng)
	}
	return crops, paths, nil
}

// WriteCrops writes crops of side size as an (n, size, size[, size]) .npy.
func WriteCrops(path string, dim, size int, crops []float32) error {
	if err := writeSamples(path, dim, size, crops); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
