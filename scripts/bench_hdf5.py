#!/usr/bin/python3
"""Side-by-side benchmark of cosmogan's HDF5 reader against h5py.

Makes (once) an HDF5 snapshot of N particles (float32 positions, (N, 3)) with
h5py in WORKDIR, twice: uncompressed (contiguous, as GADGET-4 writes by
default) and gzip level 4 with shuffle in chunks of 65536 rows (as SWIFT
compresses). Then, REPEAT times each and alternating, times reading the
dataset whole:

  h5py:     f["PartType1/Coordinates"][...]   (a new numpy array)
  cosmogan: BenchmarkReadFile in hdf5/ (go test -bench, one read per run,
            pieces of 1<<18 rows, the way `prepare` streams a snapshot),
            on all cores (compressed chunks are inflated in parallel) and
            with GOMAXPROCS=1

and prints the medians and minima, the ratios of medians (cosmogan / h5py:
below 1 is faster) and the load average; the tests check that the two read the same values.
A development tool, not part of CI.

usage: scripts/bench_hdf5.py [N] [REPEAT] [WORKDIR]
"""
import json, os, re, statistics, subprocess, sys, time

import h5py
import numpy as np

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 22
REPEAT = int(sys.argv[2]) if len(sys.argv) > 2 else 5
WORK = sys.argv[3] if len(sys.argv) > 3 else "/tmp/bench_hdf5"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DSET = "PartType1/Coordinates"

os.makedirs(WORK, exist_ok=True)
files = {"plain": os.path.join(WORK, "plain_%d.hdf5" % N), "gzip": os.path.join(WORK, "gzip_%d.hdf5" % N)}
if not all(os.path.exists(p) for p in files.values()):
    rng = np.random.default_rng(1)
    pos = (rng.random((N, 3)) * 100).astype(np.float32)
    with h5py.File(files["plain"], "w") as f:
        f.create_dataset(DSET, data=pos)
    with h5py.File(files["gzip"], "w") as f:
        f.create_dataset(DSET, data=pos, chunks=(65536, 3), compression="gzip", compression_opts=4, shuffle=True)

# The test binary, built once.
test_bin = os.path.join(WORK, "hdf5.test")
subprocess.run(["go", "test", "-c", "-o", test_bin, "./hdf5"], cwd=ROOT, check=True)


def h5py_read(path):
    t0 = time.perf_counter()
    with h5py.File(path, "r") as f:
        a = f[DSET][...]
    return time.perf_counter() - t0, a


def go_read(path, procs=None):
    env = dict(os.environ, HDF5_BENCH_FILE=path, HDF5_BENCH_DATASET=DSET)
    if procs:
        env["GOMAXPROCS"] = str(procs)
    out = subprocess.run([test_bin, "-test.run", "XXX", "-test.bench", "BenchmarkReadFile", "-test.benchtime", "1x"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return float(re.search(r"(\d+(?:\.\d+)?) ns/op", out).group(1)) / 1e9


res = {"particles": N, "repeat": REPEAT, "loadavg_before": os.getloadavg()}
for kind, path in files.items():
    h5py_read(path)  # page cache warm for both
    hp, go, go1 = [], [], []
    for _ in range(REPEAT):
        t, a = h5py_read(path)
        hp.append(t)
        go.append(go_read(path))
        go1.append(go_read(path, 1))
    med = {k: statistics.median(v) for k, v in (("h5py", hp), ("go", go), ("go1", go1))}
    res[kind] = {
        "file_mb": os.path.getsize(path) / 1e6,
        "h5py_median_s": med["h5py"], "cosmogan_median_s": med["go"], "cosmogan_1thread_median_s": med["go1"],
        "h5py_min_s": min(hp), "cosmogan_min_s": min(go), "cosmogan_1thread_min_s": min(go1),
        "ratio_cosmogan_over_h5py": med["go"] / med["h5py"],
        "ratio_cosmogan_1thread_over_h5py": med["go1"] / med["h5py"],
        "h5py_all_s": hp, "cosmogan_all_s": go, "cosmogan_1thread_all_s": go1,
    }
res["loadavg_after"] = os.getloadavg()
print(json.dumps(res, indent=2))
