package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cosmogan/cosmogan/codec"
)

// densityUnits is what --space density means, for the help of every codec
// command.
const densityUnits = "density: linear density in units of the mean density of the simulation box, ρ/ρ̄ " +
	"(divide the whole periodic box by its mean, then cut; never divide a crop by its own mean); " +
	"transformed: values already in the networks' space (the checkpoint's transform, as cosmogan crops writes them)"

// codecFlags declares the flags encode, decode and reconstruct share and
// returns a function that checks them and runs do with the parsed options.
func codecFlags(fs *flag.FlagSet, inHelp, outHelp string, do func(ckpt, in, out string, threads int, opt codec.Options) error) func() error {
	ckpt := fs.String("checkpoint", "", "autoencoder checkpoint `file`: RUN_DIR/checkpoints/ae-final.ckpt, or one made from it by cosmogan ckpt strip")
	in := fs.String("in", "", inHelp)
	out := fs.String("out", "", outHelp)
	space := fs.String("space", "density", "`space` of the fields read or written: "+densityUnits)
	tile := fs.Bool("tile", false, "cut fields larger than the network's side into non-overlapping tiles of its side (the side must be a multiple of it), one latent vector per tile; decoding reassembles them")
	threads := fs.Int("threads", 0, "worker `threads` (0 = all cores)")
	return func() error {
		switch {
		case fs.NArg() > 0:
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		case *ckpt == "" || *in == "" || *out == "":
			return usageError{"--checkpoint, --in and --out are required"}
		}
		sp, err := codec.ParseSpace(*space)
		if err != nil {
			return usageError{"--" + err.Error()}
		}
		opt := codec.Options{Space: sp, Tile: *tile, Progress: progressLine(fs.Output())}
		return do(*ckpt, *in, *out, *threads, opt)
	}
}

func encodeCmd(fs *flag.FlagSet, _ streams) func() error {
	return codecFlags(fs,
		"fields `file`: .npy of (n, N, N) images or (n, N, N, N) cubes, float32 or float64, N the network's side (or a multiple, with --tile)",
		"latent `file`: .npy of (rows, latent) float32, a row per field or, with --tile, per tile; with --tile, the tiling goes to LATENT.meta.json beside it",
		codec.EncodeFile)
}

func decodeCmd(fs *flag.FlagSet, _ streams) func() error {
	return codecFlags(fs,
		"latent `file`: .npy of (rows, latent), float32 or float64; a LATENT.meta.json beside it, written by encode --tile, reassembles tiles into fields",
		"fields `file`: .npy of (n, N, N) or (n, N, N, N) float32, in --space",
		codec.DecodeFile)
}

func reconstructCmd(fs *flag.FlagSet, _ streams) func() error {
	return codecFlags(fs,
		"fields `file`: as for cosmogan encode",
		"reconstructions `file`: .npy float32 of the shape of --in, in --space",
		codec.ReconstructFile)
}

// ckptStrip declares the flags of `cosmogan ckpt strip` and returns the
// command, which parses the arguments after "strip".
func ckptStrip(fs *flag.FlagSet) func() error {
	in := fs.String("in", "", "strip: checkpoint `file`: RUN_DIR/checkpoints/ae-final.ckpt, or a GAN checkpoint such as gan-best.ckpt")
	out := fs.String("out", "", "strip: output `file`: the checkpoint with what inference needs only: the encoder and the generator of an autoencoder (for encode, decode, reconstruct and generate), the generator of a GAN (for generate)")
	return func() error {
		if err := fs.Parse(fs.Args()[1:]); err != nil { // flags after "strip"
			return usageError{err.Error()}
		}
		if fs.NArg() > 0 || *in == "" || *out == "" {
			return usageError{"want: cosmogan ckpt strip --in CKPT --out CKPT"}
		}
		return codec.Strip(*in, *out)
	}
}

// progressLine returns a progress callback that, once a pass (encoding or
// decoding) has run for more than two seconds, rewrites one line on w every
// second.
func progressLine(w io.Writer) func(what string, done, total int) {
	var phase string
	var start, last time.Time
	return func(what string, done, total int) {
		now := time.Now()
		if what != phase {
			phase, start = what, now
		}
		if now.Sub(start) < 2*time.Second || (now.Sub(last) < time.Second && done < total) {
			return
		}
		last = now
		end := ""
		if done == total {
			end = "\n"
		}
		fmt.Fprintf(w, "\r%s %d/%d latent vectors (%.0f/s)%s", what, done, total, float64(done)/now.Sub(start).Seconds(), end)
	}
}
