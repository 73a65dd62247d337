#!/usr/bin/python3
"""PyTorch peer of `cosmogan bench step`: times full DCGAN training steps on the CPU.

A development tool for side-by-side speed comparisons (see scripts/compare.sh); it is
never a CI dependency. It needs Debian's PyTorch 1.13 and must run with the system
interpreter:

    apt-get install -y python3-torch python3-numpy
    /usr/bin/python3 scripts/bench_torch.py --dim 2 --batch 50 --steps 3 --threads 2 --json

The networks are those of the paper's Tables A.1 (2D) and A.2 (3D), built exactly as
cosmogan builds them (float32, NCHW / NCDHW):

  2D: latent 100, image 128², kernel 5, stride 2, padding 2 (transposed: output_padding 1)
    G: Linear(100→8192) → (512,4,4) BN2d ReLU → 4×[ConvT2d(no bias) BN2d ReLU] 256,128,64,32
       → ConvT2d(32→1, bias) → Tanh
    D: Conv2d(1→32, bias) LReLU(0.2) → 4×[Conv2d(no bias) BN2d LReLU(0.2)] 64,128,256,512
       → flatten 8192 → Linear(8192→1) (a logit; the sigmoid is inside the loss)
  3D: latent 200, cube 64³, kernel 4, stride 2, padding 1 (transposed: no output_padding)
    G: Linear(200→16384) → (256,4,4,4) BN3d ReLU → 3×[ConvT3d(no bias) BN3d ReLU] 128,64,32
       → ConvT3d(32→1, bias) → Tanh
    D: Conv3d(1→32, bias) LReLU(0.2) → 3×[Conv3d(no bias) BN3d LReLU(0.2)] 64,128,256
       → flatten 16384 → Linear(16384→1)

One GAN step (models in train mode, BatchNorm on batch statistics):
  D update: fake = G(z); loss_D = BCEWithLogits(D(x), 1) + BCEWithLogits(D(fake.detach()), 0)
            (each term a batch mean); backward; Adam step on D.
  G update: loss_G = BCEWithLogits(D(fake), 1), reusing the same G forward (no second
            generator pass); backward through D into G; Adam step on G.
  Adam: lr 2e-4, betas (0.5, 0.999). x is uniform in [-1, 1], z ~ N(0, 1), drawn fresh
  every step. One warm-up step, then --steps timed steps; the median is reported.

Output (--json): one JSON line
  {"impl":"pytorch","dim":..,"batch":..,"threads":..,"step_seconds":median,
   "samples_per_s":batch/median,"gflops":flops_per_step/median/1e9,"flops_per_step":..,
   "torch":version,"blas":"openblas"|"blis"|"mkl"|"reference"|"unknown"}
The BLAS matters: PyTorch 1.13 runs transposed convolutions as im2col + BLAS GEMM, and
Debian's python3-torch links libblas.so.3, which is the slow netlib reference BLAS unless
an optimized one is installed (apt-get install libopenblas0-pthread switches it), or put
first with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread.
With --verbose, the per-sample forward FLOPs F_G and F_D (see flops_per_step below) and a
per-layer breakdown are printed on stderr, and added to the JSON line as
"fg_per_sample" and "fd_per_sample".
"""

import argparse
import json
import os
import statistics
import sys
import time

# BLAS libraries read their thread count from the environment when they are loaded, so
# --threads must be known before torch is imported: every pool gets the same T threads.
if __name__ == "__main__":
    _pre = argparse.ArgumentParser(add_help=False)
    _pre.add_argument("--threads", type=int, default=2)
    _t = str(max(1, _pre.parse_known_args()[0].threads))
    for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS"):
        os.environ[_v] = _t

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - environment check
    sys.stderr.write(
        "bench_torch.py: cannot import torch (%s)\n"
        "install python3-torch: apt-get install python3-torch  "
        "(and run with /usr/bin/python3)\n" % e)
    sys.exit(2)


# Network specifications (Tables A.1 / A.2).
SPECS = {
    2: dict(latent=100, size=128, kernel=5, stride=2, padding=2, out_padding=1,
            g_base=512, g_channels=[256, 128, 64, 32], d_channels=[32, 64, 128, 256, 512]),
    3: dict(latent=200, size=64, kernel=4, stride=2, padding=1, out_padding=0,
            g_base=256, g_channels=[128, 64, 32], d_channels=[32, 64, 128, 256]),
}


def build(dim, s=None):
    """Returns (G, D, spec) for dim 2 or 3: the paper's networks, or those of spec s
    (a dict with the keys of SPECS)."""
    s = s or SPECS[dim]
    k, st, p, op = s["kernel"], s["stride"], s["padding"], s["out_padding"]
    Conv = nn.Conv2d if dim == 2 else nn.Conv3d
    ConvT = nn.ConvTranspose2d if dim == 2 else nn.ConvTranspose3d
    BN = nn.BatchNorm2d if dim == 2 else nn.BatchNorm3d
    n_up = len(s["g_channels"]) + 1          # transposed convs in G
    base = s["size"] >> n_up                 # spatial size after the dense layer (4)
    g_shape = (s["g_base"],) + (base,) * dim
    g_flat = s["g_base"] * base ** dim

    g_layers = [nn.Linear(s["latent"], g_flat), nn.Unflatten(1, g_shape), BN(s["g_base"]),
                nn.ReLU(True)]
    cin = s["g_base"]
    for cout in s["g_channels"]:
        g_layers += [ConvT(cin, cout, k, st, p, output_padding=op, bias=False), BN(cout),
                     nn.ReLU(True)]
        cin = cout
    g_layers += [ConvT(cin, 1, k, st, p, output_padding=op, bias=True), nn.Tanh()]
    G = nn.Sequential(*g_layers)

    dc = s["d_channels"]
    d_layers = [Conv(1, dc[0], k, st, p, bias=True), nn.LeakyReLU(0.2, True)]
    for cin, cout in zip(dc[:-1], dc[1:]):
        d_layers += [Conv(cin, cout, k, st, p, bias=False), BN(cout), nn.LeakyReLU(0.2, True)]
    d_out = s["size"] >> len(dc)
    d_flat = dc[-1] * d_out ** dim
    d_layers += [nn.Flatten(), nn.Linear(d_flat, 1)]
    D = nn.Sequential(*d_layers)
    return G, D, s


def layer_macs(module, inp, out):
    """Multiply-accumulates per sample of one conv / transposed conv / linear forward.

    Counted as the size of the GEMM that computes the layer, padding included:
      Linear:          in_features · out_features
      Conv (stride s): out_channels · out_spatial · in_channels · k^d
      ConvTranspose:   in_channels · in_spatial · out_channels · k^d
                       (every input element scatters into Cout·k^d outputs; outputs that
                       fall into the cropped padding are still counted)
    Biases, BatchNorm and activations are not counted.
    """
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    ksz = 1
    for kk in module.kernel_size:
        ksz *= kk
    if isinstance(module, (nn.ConvTranspose2d, nn.ConvTranspose3d)):
        return inp[0][0].numel() * module.out_channels * ksz   # Cin·in_spatial·Cout·k^d
    if isinstance(module, (nn.Conv2d, nn.Conv3d)):
        return out[0].numel() * module.in_channels * ksz       # Cout·out_spatial·Cin·k^d
    return 0


def forward_flops(net, x):
    """Per-sample forward FLOPs F = 2·MACs over conv/tconv/linear layers, and a breakdown.

    Measured with forward hooks on a batch of one, so it follows the network as built.
    """
    rows = []
    hooks = []
    counted = (nn.Linear, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    for name, m in net.named_modules():
        if isinstance(m, counted):
            def hook(mod, inp, out, name=name):
                rows.append((name, type(mod).__name__, tuple(inp[0].shape[1:]),
                             tuple(out.shape[1:]), layer_macs(mod, inp, out)))
            hooks.append(m.register_forward_hook(hook))
    was_training = net.training
    net.eval()
    with torch.no_grad():
        y = net(x)
    net.train(was_training)
    for h in hooks:
        h.remove()
    return 2 * sum(r[4] for r in rows), rows, y


def blas_in_use():
    """Names the BLAS behind libblas.so.3 in this process (torch's transposed convolutions
    call its sgemm): "openblas", "blis", "mkl", "reference" (Debian's netlib libblas3,
    the default when no optimized BLAS is installed: many times slower) or "unknown".
    Judged by the file mapped as libblas.so*, since liblapack.so.3 may map an OpenBLAS
    even while sgemm comes from the reference library.
    """
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if ".so" in line}
    except OSError:
        return "unknown"
    blas = [p.lower() for p in paths if os.path.basename(p).startswith("libblas.so")]
    others = [p.lower() for p in paths]
    for cand in (blas, others):
        for key in ("openblas", "blis", "mkl"):
            if any(key in p for p in cand):
                return key
        if any("/blas/libblas.so" in p for p in cand):
            return "reference"
    return "unknown"


def flops_per_step(fg, fd, batch):
    """Nominal FLOPs of one GAN step, the rule cosmogan's `bench step` uses too.

    fg, fd: per-sample forward FLOPs of G and D (2·MACs of conv/tconv/linear layers only;
    BatchNorm, activations, losses and the optimizer are ignored). A backward pass counts
    as 2× its forward (data gradient + weight gradient), for every layer, even where a
    framework can skip a gradient (e.g. the data gradient of D's first layer, or of
    G's dense layer with respect to z).

    Per sample, one step is
      G: 1 forward (shared by both updates) + 1 backward            = 3·fg
      D: 3 forwards (real and fake for the D update, fake for the
         G update) + 3 backwards (2× each)                          = 9·fd
    so flops_per_step = batch · (3·fg + 9·fd).
    """
    return batch * (3 * fg + 9 * fd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dim", type=int, choices=(2, 3), default=2)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    ap.add_argument("--verbose", action="store_true",
                    help="print per-sample F_G, F_D and a per-layer breakdown on stderr")
    a = ap.parse_args()
    if a.batch < 2 or a.steps < 1 or a.threads < 1:
        ap.error("need --batch >= 2 (BatchNorm), --steps >= 1, --threads >= 1")

    torch.set_num_interop_threads(1)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    torch.set_default_dtype(torch.float32)

    G, D, s = build(a.dim)
    size = (1,) + (s["size"],) * a.dim

    fg, g_rows, g_out = forward_flops(G, torch.randn(2, s["latent"]))
    fd, d_rows, d_out = forward_flops(D, torch.zeros(2, *size))
    assert tuple(g_out.shape[1:]) == size, (g_out.shape, size)
    assert tuple(d_out.shape[1:]) == (1,), d_out.shape
    step_flops = flops_per_step(fg, fd, a.batch)

    if a.verbose:
        for tag, rows, f in (("G", g_rows, fg), ("D", d_rows, fd)):
            for name, kind, ish, osh, macs in rows:
                sys.stderr.write("%s %-3s %-16s %-18s -> %-18s MACs %d\n"
                                 % (tag, name, kind, ish, osh, macs))
            sys.stderr.write("F_%s per sample (2*MACs) = %d\n" % (tag, f))
        sys.stderr.write("flops_per_step = batch*(3*F_G + 9*F_D) = %d\n" % step_flops)

    G.train()
    D.train()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x = torch.rand(a.batch, *size) * 2 - 1
    ones = torch.ones(a.batch, 1)
    zeros = torch.zeros(a.batch, 1)

    def step():
        z = torch.randn(a.batch, s["latent"])
        # D update.
        opt_d.zero_grad(set_to_none=True)
        fake = G(z)
        loss_d = (F.binary_cross_entropy_with_logits(D(x), ones)
                  + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros))
        loss_d.backward()
        opt_d.step()
        # G update, reusing the same generator forward.
        opt_g.zero_grad(set_to_none=True)
        loss_g = F.binary_cross_entropy_with_logits(D(fake), ones)
        loss_g.backward()
        opt_g.step()
        return loss_d.item(), loss_g.item()

    step()  # warm-up
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    if a.verbose:
        sys.stderr.write("step seconds: %s\n" % " ".join("%.4f" % t for t in times))

    res = {"impl": "pytorch", "dim": a.dim, "batch": a.batch, "threads": a.threads,
           "step_seconds": med, "samples_per_s": a.batch / med,
           "gflops": step_flops / med / 1e9, "flops_per_step": step_flops,
           "torch": torch.__version__, "blas": blas_in_use()}
    if a.verbose:
        res["fg_per_sample"] = fg
        res["fd_per_sample"] = fd
    if a.json:
        print(json.dumps(res))
    else:
        print("pytorch %s dim %d batch %d threads %d: %.4f s/step (median of %d), "
              "%.2f samples/s, %.2f GFLOP/s (%.4g FLOP/step), BLAS %s"
              % (torch.__version__, a.dim, a.batch, a.threads, med, a.steps,
                 res["samples_per_s"], res["gflops"], step_flops, res["blas"]))


if __name__ == "__main__":
    main()
