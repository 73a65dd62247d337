// Command cosmogan trains generative models of the cosmic web: a DCGAN on 2D
// density maps or 3D density cubes, then an autoencoder built on it, after
// Ullmo, Decelle & Aghanim 2021 (A&A 651 A46). Run "cosmogan help".
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cosmogan/cosmogan/bench"
	"github.com/cosmogan/cosmogan/daemon"
	"github.com/cosmogan/cosmogan/model"
)

// A command is one subcommand: its flags are declared in setup and run after
// parsing. What it prints goes to the streams it is given, never to the
// process's own stdout and stderr (mainStatus's callers choose them).
type command struct {
	name, args, summary string
	setup               func(fs *flag.FlagSet, w streams) func() error
}

// streams are where a command writes: out for its results (JSON, tables, a
// job script), err for what it tells the user along the way.
type streams struct{ out, err io.Writer }

var commands = []command{
	{"run", "--config FILE [--run-dir DIR] [--threads T]",
		"train the GAN and then the autoencoder, or continue an interrupted run", runCmd},
	{"ckpt", "info RUN_DIR | strip --in CKPT --out CKPT",
		"print one JSON line describing the newest checkpoint of a run: stage, step, world_size, weights_sha256; or write an AE checkpoint with only E and G, to ship", ckptCmd},
	{"generate", "--checkpoint PATH --n N --out X.npy [--seed S] [--threads T]",
		"write N images or cubes drawn from a trained generator", generateCmd},
	{"encode", "--checkpoint CKPT --in FIELDS.npy --out LATENT.npy [--space density|transformed] [--tile] [--threads T]",
		"encode fields (density in units of the box's mean, ρ/ρ̄) into latent vectors with a trained autoencoder", encodeCmd},
	{"decode", "--checkpoint CKPT --in LATENT.npy --out FIELDS.npy [--space density|transformed] [--threads T]",
		"decode latent vectors into fields with the generator of a trained autoencoder, reassembling tiles", decodeCmd},
	{"reconstruct", "--checkpoint CKPT --in FIELDS.npy --out FIELDS.npy [--space density|transformed] [--tile] [--threads T]",
		"encode and decode fields with a trained autoencoder: its reconstructions, in the input's shape", reconstructCmd},
	{"bench", "step --dim 2|3 --batch B [--steps N] [--threads T] [--device cpu|cuda] [--json] | kernels --dim 2|3 [--batch B] [--peak-tflops P] [--json] | layers --dim 2|3 [--batch B] [--steps N] [--threads T] [--json] | gemm [--steps N] [--threads T] [--json] | scaling --config FILE [--steps N] [--project-gpus 8,64,… --step-compute S --link-gbps B]",
		"time full GAN training steps of the paper's networks (on the CPU or a GPU), the GPU convolution kernels on their layers, each of their layers, the GEMM kernel, or data-parallel scaling (under mpirun)", benchCmd},
	{"eval", "--real A.npy [--real-fields K | --real-groups G.npy] --fake B.npy [--train T.npy] [--paired] [--transform eq1|eq2|none] --out DIR [--threads T]",
		"compare two sets of fields with the paper's estimators: report.json, figures, report.html", evalCmd},
	{"crops", "--in 'GLOB' [--dim 2|3] [--size N] [--per-field K] [--seed S] [--transform eq1|eq2|none] --out X.npy",
		"cut random periodic crops from density fields, in the networks' space: a held-out set for cosmogan eval", cropsCmd},
	{"simulate", "--dim 2|3 [--n N] [--seed S] [--out DIR] [--positions] [--field ngp|cic|dtfe|none] [flags]",
		"run particle-mesh N-body simulations and write particle positions and density grids", simulateCmd},
	{"prepare", "--snapshot PATH | --particles X.npy --box L | --field X.npy --grid N --out OUT.npy [flags]",
		"turn a GADGET-2 snapshot or particles into a density field (NGP/CIC/DTFE, Eq. 1/2, strided smoothing)", prepareCmd},
	{"sbatch", "--config FILE --run-dir DIR --nodes N --ntasks-per-node T --time HH:MM:SS [--gpus-per-task G] [--cpus-per-task C] [--partition P] [--job-name NAME] [--submit]",
		"print the Slurm job script that runs the training on N×T ranks and requeues itself before the time limit, or submit it", sbatchCmd},
}

func main() { os.Exit(mainStatus(os.Args[1:], os.Stdout, os.Stderr)) }

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func mainStatus(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return mainStatus([]string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return runCommand(c, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "cosmogan: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// runCommand parses args with the flags of c and runs it. What the flag
// package prints is held until the outcome is known: help asked for with -h
// or --help (also after a bench subcommand) goes to stdout with status 0, a
// flag mistake to stderr with status 2.
func runCommand(c command, args []string, stdout, stderr io.Writer) int {
	var flagOut bytes.Buffer
	fs := flag.NewFlagSet("cosmogan "+c.name, flag.ContinueOnError)
	fs.SetOutput(&flagOut)
	run := c.setup(fs, streams{out: stdout, err: stderr})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cosmogan %s %s\n\n%s.\n\nflags:\n", c.name, c.args, c.summary)
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	parsed := err == nil
	if parsed {
		err = run()
	}
	if errors.Is(err, flag.ErrHelp) {
		stdout.Write(flagOut.Bytes())
		return 0
	}
	stderr.Write(flagOut.Bytes())
	switch {
	case err == nil:
		return 0
	case !parsed: // the flag package has said what is wrong
		return 2
	}
	fmt.Fprintf(stderr, "cosmogan %s: %v\n", c.name, err)
	var ue usageError
	var ae *bench.ArgError
	if errors.As(err, &ue) || errors.As(err, &ae) {
		return 2
	}
	return daemon.ExitStatus(err)
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "cosmogan trains generative models (DCGAN + autoencoder) of cosmic-web density fields.\n\nusage:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  cosmogan %s %s\n      %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintf(w, "\n\"cosmogan help COMMAND\" or \"cosmogan COMMAND -h\" explains every flag.\n")
}

func runCmd(fs *flag.FlagSet, w streams) func() error {
	config := fs.String("config", "config.toml", "configuration `file` (TOML; keys in README.md)")
	runDir := fs.String("run-dir", "", "run `directory` (default: run_dir of the configuration); an existing one is continued")
	threads := fs.Int("threads", -1, "worker `threads` (default: threads of the configuration; 0 = all cores)")
	return func() error {
		if fs.NArg() > 0 {
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
		cfg, err := daemon.LoadConfig(*config)
		if err != nil {
			return err
		}
		if *threads >= 0 {
			cfg.Threads = *threads
		}
		dir := cfg.RunDir
		if *runDir != "" {
			dir = *runDir
		}
		return daemon.Serve(cfg, dir, w.err)
	}
}

func ckptCmd(fs *flag.FlagSet, w streams) func() error {
	strip := ckptStrip(fs)
	return func() error {
		if fs.Arg(0) == "strip" {
			return strip()
		}
		if fs.NArg() != 2 || fs.Arg(0) != "info" {
			return usageError{"want: cosmogan ckpt info RUN_DIR | cosmogan ckpt strip --in CKPT --out CKPT"}
		}
		info, err := daemon.NewestCheckpoint(fs.Arg(1))
		if err != nil {
			return err
		}
		return printJSON(w.out, info)
	}
}

func generateCmd(fs *flag.FlagSet, w streams) func() error {
	checkpoint := fs.String("checkpoint", "", "checkpoint `file` holding a generator (run_dir/checkpoints/gan-final.ckpt)")
	n := fs.Int("n", 16, "`number` of samples")
	out := fs.String("out", "generated.npy", "output `file` (.npy, float32, shape (n, size, size[, size]))")
	seed := fs.Uint64("seed", 1, "random `seed` of the latent draws")
	threads := fs.Int("threads", 0, "worker `threads` (0 = all cores)")
	return func() error {
		if *checkpoint == "" {
			return usageError{"--checkpoint is required"}
		}
		arch, err := generatorArch(*checkpoint)
		if err != nil {
			return err
		}
		// The samples and their latent vectors are held in memory at once.
		what := fmt.Sprintf("--n %d: %d samples of %d^%d float32 pixels", *n, *n, arch.Size, arch.Dim)
		if err := checkMemory(what, float64(*n)*(cells(arch.Size, arch.Dim)+float64(arch.Latent))*4); err != nil {
			return err
		}
		transform, err := daemon.Generate(*checkpoint, *n, *seed, *threads, *out)
		if err != nil {
			return err
		}
		fmt.Fprintf(w.err, "wrote %d samples to %s (values in the %q transformed space)\n", *n, *out, transform)
		return nil
	}
}

// generatorArch reads the checkpoint at path and returns the architecture of
// the generator G it holds (the GAN stage's, or the frozen one the AE's final
// checkpoint keeps). A file that is not a checkpoint, or one without G, is a
// usage error naming the file and what was expected.
func generatorArch(path string) (model.Arch, error) {
	const want = "want a checkpoint holding a generator G, such as RUN_DIR/checkpoints/gan-final.ckpt or gan-best.ckpt"
	f, err := os.Open(path)
	if err != nil {
		return model.Arch{}, usageError{fmt.Sprintf("--checkpoint: %v", err)}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return model.Arch{}, usageError{fmt.Sprintf("--checkpoint %s: not a regular file: %s", path, want)}
	}
	ck, err := model.DecodeCheckpoint(f)
	switch {
	case errors.Is(err, model.ErrCorrupt):
		return model.Arch{}, usageError{fmt.Sprintf("--checkpoint %s: %v: %s", path, err, want)}
	case err != nil:
		return model.Arch{}, fmt.Errorf("--checkpoint %s: %w", path, err)
	}
	if _, err := ck.Net("G"); err != nil {
		names := make([]string, len(ck.Nets))
		for i, n := range ck.Nets {
			names[i] = n.Name
		}
		return model.Arch{}, usageError{fmt.Sprintf("--checkpoint %s: a checkpoint of stage %q holding networks %v: %s", path, ck.Stage, names, want)}
	}
	return ck.Arch, nil
}

func printJSON(out io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}

// printJSONLines prints each value of vs as one JSON line.
func printJSONLines[T any](out io.Writer, vs []T) error {
	for _, v := range vs {
		if err := printJSON(out, v); err != nil {
			return err
		}
	}
	return nil
}
