package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/cosmogan/cosmogan/bench"
	"github.com/cosmogan/cosmogan/daemon"
	"github.com/cosmogan/cosmogan/parallel"
)

func benchCmd(fs *flag.FlagSet, w streams) func() error {
	dim := fs.Int("dim", 2, "step, kernels, layers: 2 (Table A.1, 128² images) or 3 (Table A.2, 64³ cubes)")
	batch := fs.Int("batch", 0, "step, kernels, layers: batch `size` (default 50 in 2D, 4 in 3D)")
	steps := fs.Int("steps", 5, "timed `steps` (kernels, layers, gemm: timed calls) after one warm-up")
	threads := fs.Int("threads", 0, "worker `threads` (0 = all cores); gemm: 1 and this many; scaling: threads of the configuration unless set")
	asJSON := fs.Bool("json", false, "print JSON lines")
	device := fs.String("device", "cpu", "step: cpu, or cuda for the first GPU (needs a build with -tags cuda)")
	peak := fs.Float64("peak-tflops", bench.H200PeakTFLOPS, "kernels: the GPU's FP32 peak in `TFLOP/s` to read the kernels against (H200: 67)")
	config := fs.String("config", "configs/tiny.toml", "scaling: the configuration whose GAN step is timed")
	gpus := fs.String("project-gpus", "", "scaling: comma-separated GPU `counts` to project ring all-reduce efficiency for (e.g. 8,64,512,4096)")
	stepCompute := fs.Float64("step-compute", 0, "scaling: compute `seconds` of one step per GPU, for the projection")
	linkGbps := fs.Float64("link-gbps", 100, "scaling: link bandwidth in `Gbit/s`, for the projection")
	return func() error {
		what := fs.Arg(0)
		switch what {
		case "step", "kernels", "layers", "gemm", "scaling":
		default:
			return usageError{"want: cosmogan bench step|kernels|layers|gemm|scaling [flags]"}
		}
		if err := fs.Parse(fs.Args()[1:]); err != nil { // flags after the subcommand
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		if fs.NArg() > 0 {
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
		if *batch == 0 {
			*batch = map[int]int{2: 50, 3: 4}[*dim]
		}
		switch what {
		case "scaling":
			return benchScaling(w.out, *config, *steps, *threads, *gpus, *stepCompute, *linkGbps, *asJSON)
		case "layers":
			return benchLayers(w.out, *dim, *batch, *steps, *threads, *asJSON)
		case "kernels":
			return benchKernels(w.out, *dim, *batch, *steps, *peak, *asJSON)
		case "gemm":
			return benchGemm(w.out, *steps, *threads, *asJSON)
		}
		res, err := bench.Step(*dim, *batch, *steps, *threads, *device)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(w.out, res)
		}
		on := fmt.Sprintf("%d threads", res.Threads)
		if *device != "cpu" {
			on = res.Device
		}
		fmt.Fprintf(w.out, "%dD GAN step, batch %d, %s: %.3f s/step (median of %d), %.2f samples/s, %.1f GFLOP/s\n",
			res.Dim, res.Batch, on, res.StepSeconds, res.Steps, res.SamplesPerS, res.GFLOPS)
		return nil
	}
}

// benchLayers prints the time and GFLOP/s of every layer's forward and
// backward pass, with its share of the GEMM ceiling.
func benchLayers(out io.Writer, dim, batch, steps, threads int, asJSON bool) error {
	res, err := bench.Layers(dim, batch, steps, threads)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSONLines(out, res.Layers)
	}
	fmt.Fprintf(out, "%dD layers, batch %d, %d threads, median of %d; GEMM ceiling (Sgemm n=1024) %.1f GFLOP/s\n\n",
		res.Dim, res.Batch, res.Threads, res.Reps, res.CeilingGFLOPS)
	fmt.Fprintf(out, "%-3s %-30s %9s %9s %7s %5s %9s %7s %5s\n", "net", "layer", "GFLOP", "fwd ms", "GFLOP/s", "ceil", "bwd ms", "GFLOP/s", "ceil")
	var fwd, bwd float64
	for _, l := range res.Layers {
		fwd, bwd = fwd+l.ForwardS, bwd+l.BackwardS
		if l.Flops == 0 {
			fmt.Fprintf(out, "%-3s %-30s %9s %9.2f %7s %5s %9.2f\n", l.Net, l.Layer, "", l.ForwardS*1e3, "", "", l.BackwardS*1e3)
			continue
		}
		fmt.Fprintf(out, "%-3s %-30s %9.3f %9.2f %7.1f %4.0f%% %9.2f %7.1f %4.0f%%\n", l.Net, l.Layer, l.Flops/1e9,
			l.ForwardS*1e3, l.ForwardG, 100*l.ForwardG/res.CeilingGFLOPS, l.BackwardS*1e3, l.BackwardG, 100*l.BackwardG/res.CeilingGFLOPS)
	}
	fmt.Fprintf(out, "%-3s %-30s %9s %9.2f %7s %5s %9.2f\n", "", "total", "", fwd*1e3, "", "", bwd*1e3)
	return nil
}

// benchKernels prints the time and GFLOP/s of the GPU convolution kernels on
// every convolution of the paper's networks, with their share of the peak.
func benchKernels(out io.Writer, dim, batch, steps int, peak float64, asJSON bool) error {
	res, err := bench.Kernels(dim, batch, steps, peak)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSONLines(out, res.Kernels)
	}
	fmt.Fprintf(out, "%dD convolution kernels, batch %d, %s, median of %d; FP32 peak %.0f TFLOP/s\n\n", res.Dim, res.Batch, res.Device, res.Reps, res.PeakTFLOPS)
	fmt.Fprintf(out, "%-3s %-24s %-16s %9s %9s %9s %6s\n", "net", "layer", "kernel", "GFLOP", "ms", "GFLOP/s", "peak")
	for _, k := range res.Kernels {
		fmt.Fprintf(out, "%-3s %-24s %-16s %9.2f %9.3f %9.0f %5.1f%%\n", k.Net, k.Layer, k.Kernel, k.Flops/1e9, k.S*1e3, k.GFLOPS, 100*k.OfPeak)
	}
	return nil
}

// benchGemm prints Sgemm's GFLOP/s on the benchmark shapes for 1 thread and
// for threads (all cores when 0).
func benchGemm(out io.Writer, steps, threads int, asJSON bool) error {
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	counts := []int{1}
	if threads != 1 {
		counts = append(counts, threads)
	}
	res, err := bench.Gemm(counts, steps)
	if err != nil {
		return err
	}
	for _, r := range res {
		if asJSON {
			err = printJSON(out, r)
		} else {
			_, err = fmt.Fprintln(out, r)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// benchScaling runs the scaling benchmark on the job's ranks (run it under
// mpirun or srun) and, if asked, the projection from rank 0's measurement.
func benchScaling(out io.Writer, config string, steps, threads int, gpus string, stepCompute, linkGbps float64, asJSON bool) error {
	cfg, err := daemon.LoadConfig(config)
	if err != nil {
		return err
	}
	if threads > 0 {
		cfg.Threads = threads
	}
	comm, err := parallel.World()
	if err != nil {
		return err
	}
	defer comm.Close()
	res, err := bench.Scaling(bench.ScalingConfig{Arch: cfg.Model, Adam: cfg.GAN.AdamConfig, Batch: cfg.GAN.Batch,
		LabelNoise: cfg.GAN.LabelNoise, Threads: cfg.Threads, Seed: cfg.Seed, CUDA: cfg.Device == daemon.DeviceCUDA}, steps, comm)
	if err != nil {
		return err
	}
	if asJSON {
		err = printJSON(out, res)
	} else {
		_, err = fmt.Fprintln(out, res)
	}
	if err != nil || gpus == "" || comm.Rank() != 0 {
		return err
	}
	var counts []int
	for _, f := range strings.Split(gpus, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return usageError{fmt.Sprintf("--project-gpus %q: %q is not a number", gpus, f)}
		}
		counts = append(counts, n)
	}
	if stepCompute == 0 {
		stepCompute = res.ComputeSeconds
	}
	proj, err := bench.ProjectRing(counts, stepCompute, res.LatencySeconds, res.ReduceBytes, linkGbps)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSONLines(out, proj)
	}
	for _, p := range proj {
		fmt.Fprintf(out, "projected: %5d GPUs, ring all-reduce %.4f s, efficiency %.3f\n", p.GPUs, p.ReduceS, p.Efficiency)
	}
	return nil
}
