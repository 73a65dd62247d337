#!/usr/bin/python3
"""Side-by-side benchmark and cross-check of cosmogan's estimators (eval/)
against numpy and scipy. A development tool, not a CI dependency.

    apt-get install python3-numpy python3-scipy
    /usr/bin/python3 scripts/bench_eval.py [--n 64] [--count 1000] [--repeat 3] [--dir /tmp/bench_eval]

1. Writes COUNT lognormal cubes of side N as float32 .npy (DIR/cubes.npy).
2. Times numpy's power spectrum (rfftn + bincount, Eq. 8 binning) and
   scipy's maximum_filter peak finding on them, cube by cube, REPEAT times,
   and prints the medians in cubes/s.
3. Runs the Go benchmark BenchmarkEstimateFile on the same file (all four
   estimators, 1 and 2 threads), REPEAT times, and prints medians and ratios.
4. Cross-checks, on the first 50 cubes, `cosmogan eval`'s report.json
   against numpy/scipy: median spectrum (full-grid fftn, the definition) and
   the mean number of peaks per cube.
"""
import argparse, json, os, re, statistics, subprocess, sys, time

import numpy as np
from scipy import ndimage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bins_half(n):
    """Bin index (nu-1, or -1) and weight of each rfftn mode, as eval/spectrum.go."""
    k = np.fft.fftfreq(n, 1.0 / n)
    kx = np.arange(n // 2 + 1)
    kz, ky, kxx = np.meshgrid(k, k, kx, indexing="ij")
    nu = np.rint(np.sqrt(kz**2 + ky**2 + kxx**2)).astype(int)
    w = np.where((kxx == 0) | (kxx == n // 2), 1.0, 2.0)
    ok = (nu >= 1) & (nu <= n // 2)
    idx = np.where(ok, nu - 1, n // 2)  # last bin collects the rest
    return idx.ravel(), w.ravel(), np.bincount(idx.ravel(), w.ravel(), n // 2 + 1)[: n // 2]


def spectrum_rfftn(c, idx, w, modes):
    a = np.fft.rfftn(c)
    p = (a.real**2 + a.imag**2).ravel() * w
    return np.bincount(idx, p, len(modes) + 1)[: len(modes)] / modes / c.size


def spectrum_full(c):
    """Eq. 8 literally: the full-grid fftn, mean |A|^2/N^d over round(|k|) = nu."""
    n = c.shape[0]
    a = np.fft.fftn(c.astype(np.float64))
    k = np.fft.fftfreq(n, 1.0 / n)
    kk = np.sqrt(sum(g**2 for g in np.meshgrid(*([k] * c.ndim), indexing="ij")))
    nu = np.rint(kk).astype(int)
    p = np.abs(a) ** 2 / c.size
    return np.array([p[nu == v].mean() for v in range(1, n // 2 + 1)])


FOOT = np.ones((3, 3, 3), bool)
FOOT[1, 1, 1] = False


def peaks(c):
    """Pixels strictly above their 26 neighbours, border excluded."""
    m = ndimage.maximum_filter(c, footprint=FOOT, mode="constant", cval=np.inf)
    return c[c > m]


def timed(f, cubes):
    t = time.perf_counter()
    for c in cubes:
        f(c)
    return len(cubes) / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/bench_eval")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    path = os.path.join(a.dir, "cubes.npy")
    rng = np.random.default_rng(1)
    cubes = np.exp(rng.standard_normal((a.count, a.n, a.n, a.n), dtype=np.float32))
    np.save(path, cubes)
    idx, w, modes = bins_half(a.n)

    fft = [timed(lambda c: spectrum_rfftn(c, idx, w, modes), cubes) for _ in range(a.repeat)]
    mf = [timed(peaks, cubes) for _ in range(a.repeat)]
    fft_m, mf_m = statistics.median(fft), statistics.median(mf)
    both = 1 / (1 / fft_m + 1 / mf_m)
    print(f"{a.count} cubes of {a.n}^3, median of {a.repeat}")
    print(f"numpy rfftn+bincount spectra   {fft_m:8.1f} cubes/s   (runs: {', '.join(f'{x:.1f}' for x in fft)})")
    print(f"scipy maximum_filter peaks     {mf_m:8.1f} cubes/s   (runs: {', '.join(f'{x:.1f}' for x in mf)})")
    print(f"numpy + scipy, both            {both:8.1f} cubes/s")

    env = dict(os.environ, EVAL_BENCH_NPY=path)
    for threads in (1, 2):
        rates = []
        for _ in range(a.repeat):
            out = subprocess.run(["go", "test", "-run", "^$", "-bench", f"EstimateFile/threads={threads}$",
                                  "-benchtime", "1x", "./eval"], cwd=ROOT, env=env, check=True,
                                 capture_output=True, text=True).stdout
            rates.append(float(re.search(r"([\d.]+) cubes/s", out).group(1)))
        g = statistics.median(rates)
        print(f"cosmogan Estimate, {threads} thread{'s' if threads > 1 else ' '}  {g:8.1f} cubes/s   "
              f"(runs: {', '.join(f'{x:.1f}' for x in rates)})  {g / both:.2f}x numpy+scipy")

    # Cross-check on a subset through the command line.
    sub = os.path.join(a.dir, "sub.npy")
    np.save(sub, cubes[:50])
    out = os.path.join(a.dir, "report")
    subprocess.run(["go", "run", "./cmd/cosmogan", "eval", "--real", sub, "--fake", sub, "--out", out], cwd=ROOT, check=True)
    rep = json.load(open(os.path.join(out, "report.json")))["real"]
    med = np.median([spectrum_full(c) for c in cubes[:50]], axis=0)
    rel = np.max(np.abs(np.array(rep["power_spectrum"]["median"]) / med - 1))
    npk = np.mean([len(peaks(c)) for c in cubes[:50]])
    gpk = sum(rep["peak_counts"]["mean_count"])
    print(f"cross-check (50 cubes): median spectrum max relative difference {rel:.2e}; "
          f"peaks per cube scipy {npk:.2f}, cosmogan {gpk:.2f}")
    if rel > 1e-4 or abs(npk - gpk) > 1e-9:
        sys.exit("cross-check failed")


if __name__ == "__main__":
    main()
