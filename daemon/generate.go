package daemon

import (
	"fmt"

	"github.com/cosmogan/cosmogan/data"
	"github.com/cosmogan/cosmogan/kernels"
	"github.com/cosmogan/cosmogan/model"
)

// Generate loads the generator of a checkpoint (of the GAN or the AE stage),
// draws n samples with the given seed and writes them to out as a .npy of
// shape (n, size, size) or (n, size, size, size), in the transformed space
// the networks work in. It returns the transform recorded in the checkpoint.
func Generate(checkpoint string, n int, seed uint64, threads int, out string) (transform string, err error) {
	if n < 1 {
		return "", configErrorf("--n %d: want at least 1 sample", n)
	}
	// Every failure to load is the given file's: exit status 2.
	ck, err := model.ReadCheckpoint(checkpoint)
	if err != nil {
		return "", fmt.Errorf("%w (want a checkpoint of a GAN or AE stage, e.g. RUN_DIR/checkpoints/gan-best.ckpt): %w", err, data.ErrBadInput)
	}
	g, err := model.NewGenerator(ck.Arch)
	if err != nil {
		return "", fmt.Errorf("%s: %w: %w", checkpoint, err, data.ErrBadInput)
	}
	ns, err := ck.Generator()
	if err != nil {
		return "", fmt.Errorf("%s: %w; want a checkpoint holding a generator G (gan-*.ckpt or ae-final.ckpt): %w", checkpoint, err, data.ErrBadInput)
	}
	if err := ns.Restore(g, nil); err != nil {
		return "", fmt.Errorf("%s: %w: %w", checkpoint, err, data.ErrBadInput)
	}
	team := kernels.NewTeam(threads)
	defer team.Close()
	z := make([]float32, n*ck.Arch.Latent)
	model.SampleLatent(z, newStreamFor(seed, "generate").fixed())
	return ck.Meta["transform"], writeSamples(out, ck.Arch.Dim, ck.Arch.Size, generateFrom(model.NewWorkspace(team), g, z, n))
}
