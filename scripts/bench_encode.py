#!/usr/bin/python3
"""PyTorch peer of codec's BenchmarkEncode: times encoding a batch of 2D fields.

A development tool for side-by-side speed comparisons, never a CI dependency. It needs
Debian's PyTorch 1.13 and must run with the system interpreter:

    apt-get install -y python3-torch python3-numpy
    /usr/bin/python3 scripts/bench_encode.py --threads 2 --batch 64 --json

The encoder E is the discriminator of scripts/bench_torch.py (built by its build())
with the last dense layer replaced by dense → latent, no activation: what cosmogan's
model.NewEncoder builds. Two architectures, as in BenchmarkEncode:
  default-64:   config.toml's [model]: 64², latent 100, kernel 5, D filters 16…256
  paper-2d-128: Table A.1: 128², latent 100, kernel 5, D filters 32…512
One encoding is what `cosmogan encode` does to a batch of fields in density: the Eq. 1
transform (density clamped at 1e-4 as data.Eq1 does) and one forward pass of E in
inference mode (eval(), BatchNorm on running statistics, no autograd). After one
warm-up, --runs encodings are timed; the median is reported.

Output (--json): one JSON line per architecture
  {"impl":"pytorch","arch":..,"batch":..,"threads":..,"seconds":median,
   "fields_per_s":batch/median,"runs":..,"torch":version,"blas":..}
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

# Thread counts are read from the environment when the libraries load: set them
# before bench_torch imports torch.
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--threads", type=int, default=2)
_t = str(max(1, _pre.parse_known_args()[0].threads))
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_v] = _t

import bench_torch  # noqa: E402  (after the thread settings)
from bench_torch import torch, nn  # noqa: E402

ARCHS = {
    "default-64": dict(latent=100, size=64, kernel=5, stride=2, padding=2, out_padding=1,
                       g_base=256, g_channels=[128, 64, 32, 16],
                       d_channels=[16, 32, 64, 128, 256]),
    "paper-2d-128": bench_torch.SPECS[2],
}

# Eq. 1: v' = (2 ln v − (b + a)) / (b − a), a = ln 0.01, b = ln 600; v clamped at 1e-4.
EQ1_A, EQ1_B, EQ1_FLOOR = math.log(0.01), math.log(600), 1e-4


def encoder(spec):
    """E: bench_torch's D for spec, its last layer replaced by dense → latent."""
    _, d, s = bench_torch.build(2, spec)
    d[-1] = nn.Linear(d[-1].in_features, s["latent"])
    return d.eval()


def encode(e, x):
    """The latent vectors of density fields x (batch, 1, N, N)."""
    with torch.inference_mode():
        t = (2 * torch.log(torch.clamp(x, min=EQ1_FLOOR)) - (EQ1_B + EQ1_A)) / (EQ1_B - EQ1_A)
        return e(t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", choices=sorted(ARCHS) + ["all"], default="all")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print JSON lines")
    a = ap.parse_args()
    if a.batch < 1 or a.runs < 1 or a.threads < 1:
        ap.error("need --batch, --runs and --threads >= 1")
    torch.set_num_interop_threads(1)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for name in sorted(ARCHS) if a.arch == "all" else [a.arch]:
        spec = ARCHS[name]
        e = encoder(spec)
        x = torch.exp(torch.randn(a.batch, 1, spec["size"], spec["size"]))
        z = encode(e, x)  # warm-up
        assert tuple(z.shape) == (a.batch, spec["latent"]), z.shape
        times = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            encode(e, x)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        res = {"impl": "pytorch", "arch": name, "batch": a.batch, "threads": a.threads,
               "seconds": med, "fields_per_s": a.batch / med, "runs": a.runs,
               "torch": torch.__version__, "blas": bench_torch.blas_in_use()}
        if a.json:
            print(json.dumps(res))
        else:
            print("pytorch %s %s batch %d threads %d: %.4f s (median of %d), %.1f fields/s, BLAS %s"
                  % (torch.__version__, name, a.batch, a.threads, med, a.runs,
                     res["fields_per_s"], res["blas"]))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
