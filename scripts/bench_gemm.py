#!/usr/bin/python3
"""numpy/OpenBLAS peer of `cosmogan bench gemm`: float32 GEMM GFLOP/s at n = 1024 and 2048.

A development tool, never a CI dependency (apt-get install python3-numpy; Debian's numpy
uses libblas.so.3, OpenBLAS with libopenblas0-pthread installed). The thread count must
be set before numpy loads its BLAS, so it is read from --threads first.

    /usr/bin/python3 scripts/bench_gemm.py --threads 2 --steps 5 --json

Prints one line per size (JSON with --json):
  {"impl":"numpy","shape":"square n=1024","n":1024,"threads":2,"seconds":median,"gflops":..}
"""

import argparse
import json
import os
import statistics
import sys
import time

if __name__ == "__main__":
    _pre = argparse.ArgumentParser(add_help=False)
    _pre.add_argument("--threads", type=int, default=2)
    _t = str(max(1, _pre.parse_known_args()[0].threads))
    for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ[_v] = _t

import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5, help="timed calls after one warm-up")
    ap.add_argument("--sizes", default="1024,2048")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    for n in (int(s) for s in args.sizes.split(",")):
        a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        c = np.empty((n, n), np.float32)
        np.matmul(a, b, out=c)
        ts = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            ts.append(time.perf_counter() - t0)
        sec = statistics.median(ts)
        res = {"impl": "numpy", "shape": "square n=%d" % n, "n": n, "threads": args.threads,
               "seconds": sec, "gflops": 2.0 * n ** 3 / sec / 1e9}
        if args.json:
            print(json.dumps(res))
        else:
            print("%-14s %d threads  %8.2f ms  %6.1f GFLOP/s" % (res["shape"], args.threads, sec * 1e3, res["gflops"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
