#!/usr/bin/python3
"""Side-by-side benchmark of `cosmogan prepare` against numpy/scipy.

Makes (once) 256^3 = 16.7M particles in a box of 100 as a float32 .npy and as a
little-endian GADGET-2 SnapFormat-1 file, then times, REPEAT times each:

  numpy/scipy: np.histogramdd into 384^3 (NGP counts), Eq. 2, then
               scipy.ndimage.gaussian_filter(sigma=3, mode='wrap')[::3, ::3, ::3]
  cosmogan:    cosmogan prepare --snapshot snap --grid 384 --assign ngp
               --transform eq2 --smooth 3 --stride 3

alternating the two, and prints the medians, their ratio and the load
average around the timed runs (the machine may be shared: rerun when it is
busy). Untimed checks follow: the raw NGP counts of `cosmogan prepare` (one
and all threads) must equal np.bincount of the contract's cell
floor(x / BoxSize * N) mod N exactly, and the smoothed field must match
scipy's on those counts within float32 rounding. np.histogramdd places a few
particles that lie within an ulp of a bin edge in the neighbouring bin, so
its field differs slightly; that difference is reported too. One more run
under GNU time (/usr/bin/time, Debian's `time`) gives cosmogan's peak
resident memory. A development tool, not part of CI.

usage: scripts/bench_prepare.py [COSMOGAN_BINARY] [REPEAT] [WORKDIR]
"""
import json, os, shutil, statistics, subprocess, sys, time

import numpy as np
from scipy import ndimage

BIN = sys.argv[1] if len(sys.argv) > 1 else "./cosmogan"
REPEAT = int(sys.argv[2]) if len(sys.argv) > 2 else 3
WORK = sys.argv[3] if len(sys.argv) > 3 else "/tmp/bench_prepare"
N, BOX, GRID, SIGMA, STRIDE = 256, 100.0, 384, 3.0, 3
A2, B2, C = np.log(0.001), np.log(2632.0), 0.001

os.makedirs(WORK, exist_ok=True)
npy, snap = os.path.join(WORK, "pos.npy"), os.path.join(WORK, "snap")
if not os.path.exists(snap):
    rng = np.random.default_rng(1)
    # Clustered-ish: a lattice displaced by smooth random waves plus noise.
    q = (np.indices((N, N, N)).reshape(3, -1).T + 0.5) * (BOX / N)
    pos = q + 3 * np.sin(q * 2 * np.pi / BOX * 3 + rng.uniform(0, 6, 3)) + rng.normal(0, 0.5, q.shape)
    pos = np.mod(pos, BOX).astype(np.float32)
    np.save(npy, pos)
    hdr = np.zeros(256, np.uint8)
    hv = hdr.view(np.uint8)
    def put(off, arr):
        b = np.asarray(arr).tobytes()
        hv[off:off + len(b)] = np.frombuffer(b, np.uint8)
    put(4, np.uint32(N**3)); put(100, np.uint32(N**3)); put(124, np.int32(1)); put(128, np.float64(BOX))
    with open(snap, "wb") as f:
        for block in (hdr.tobytes(), pos.tobytes()):
            f.write(np.uint32(len(block)).tobytes()); f.write(block); f.write(np.uint32(len(block)).tobytes())

pos = np.load(npy)

def numpy_pipeline():
    t0 = time.perf_counter()
    h, _ = np.histogramdd(pos, bins=GRID, range=[(0, BOX)] * 3)
    t1 = time.perf_counter()
    v = (2 * np.log(h + C) - (B2 + A2)) / (B2 - A2)
    s = ndimage.gaussian_filter(v.astype(np.float32), SIGMA, mode="wrap")[::STRIDE, ::STRIDE, ::STRIDE]
    t2 = time.perf_counter()
    return s, t1 - t0, t2 - t1

def prepare(out, *args):
    subprocess.run([BIN, "prepare", "--snapshot", snap, "--grid", str(GRID), "--assign", "ngp", *args, "--out", out],
                   check=True, stderr=subprocess.DEVNULL)

def cosmogan():
    out = os.path.join(WORK, "field.npy")
    t0 = time.perf_counter()
    prepare(out, "--transform", "eq2", "--smooth", str(SIGMA), "--stride", str(STRIDE))
    t1 = time.perf_counter()
    return np.load(out), t1 - t0

np_times, go_times, hist_t, smooth_t = [], [], [], []
load_before = os.getloadavg()
for r in range(REPEAT):
    ref, th, ts = numpy_pipeline()
    np_times.append(th + ts); hist_t.append(th); smooth_t.append(ts)
    got, tg = cosmogan()
    go_times.append(tg)
load_after = os.getloadavg()

# Peak resident memory of one more (untimed) run, from GNU time: the
# rusage of a child from Python would count the forked Python process too.
peak_rss_mb = None
if shutil.which("/usr/bin/time"):
    rss = os.path.join(WORK, "rss.txt")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss, BIN, "prepare", "--snapshot", snap, "--grid", str(GRID),
                    "--assign", "ngp", "--transform", "eq2", "--smooth", str(SIGMA), "--stride", str(STRIDE),
                    "--out", os.path.join(WORK, "field.npy")], check=True, stderr=subprocess.DEVNULL)
    with open(rss) as f:
        peak_rss_mb = int(f.read().split()[-1]) / 1024

# Untimed exactness checks against the contract.
cell = np.floor(pos.astype(np.float64) / BOX * GRID).astype(np.int64) % GRID
counts = np.bincount((cell[:, 0] * GRID + cell[:, 1]) * GRID + cell[:, 2], minlength=GRID**3).reshape((GRID,) * 3)
raw = os.path.join(WORK, "counts.npy")
counts_equal = True
for threads in ([], ["--threads", "1"]):
    prepare(raw, "--transform", "none", "--smooth", "0", "--stride", "1", *threads)
    counts_equal &= bool(np.array_equal(np.load(raw), counts))
os.remove(raw)
v = (2 * np.log(counts + C) - (B2 + A2)) / (B2 - A2)
exact = ndimage.gaussian_filter(v.astype(np.float32), SIGMA, mode="wrap")[::STRIDE, ::STRIDE, ::STRIDE]
res = {
    "particles": N**3, "grid": GRID, "sigma": SIGMA, "stride": STRIDE, "repeat": REPEAT,
    "loadavg_before": load_before, "loadavg_after": load_after,
    "numpy_histogramdd_median_s": statistics.median(hist_t),
    "scipy_transform_filter_median_s": statistics.median(smooth_t),
    "numpy_scipy_total_median_s": statistics.median(np_times),
    "cosmogan_prepare_median_s": statistics.median(go_times),
    "cosmogan_prepare_all_s": go_times, "numpy_scipy_all_s": np_times,
    "speedup": statistics.median(np_times) / statistics.median(go_times),
    "cosmogan_prepare_peak_rss_mb": peak_rss_mb,  # None without GNU time
    "ngp_counts_equal_contract": counts_equal,
    "max_abs_difference_vs_scipy_on_contract_counts": float(np.max(np.abs(exact - got))),
    "max_abs_difference_vs_histogramdd_pipeline": float(np.max(np.abs(ref - got))),
    "histogramdd_cells_off_contract": int(np.count_nonzero(np.histogramdd(pos, bins=GRID, range=[(0, BOX)] * 3)[0] != counts)),
}
print(json.dumps(res, indent=2))
