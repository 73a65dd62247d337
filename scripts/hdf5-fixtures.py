#!/usr/bin/python3
"""Writes the HDF5 test fixtures with h5py (Debian's python3-h5py, HDF5 1.10).

usage: scripts/hdf5-fixtures.py [OUTDIR_HDF5] [OUTDIR_SNAPSHOTS]

hdf5/testdata/ (OUTDIR_HDF5): one file per format generation, each holding
the same datasets under every storage HDF5 writes for it, so the reader is
tested against a real writer:

  earliest.h5   superblock 0, object headers v1, symbol-table groups,
                layout v3 (chunks in v1 B-trees)
  sb1.h5        superblock 1 (a non-default chunk B-tree K), otherwise as above
  v108.h5       superblock 2, object headers v2, compact links and attributes
  latest.h5     superblock 3, layout v4: fixed-array (also paged), v2 B-tree
                (both record types), single-chunk indexes; dense links and
                dense attributes (more than 8 of each), 1200 links in one
                group (a v2 B-tree of depth 2)
  userblock.h5  a 512-byte user block before the superblock
  refused.h5    what the reader must refuse by name: Fletcher32, LZF, an
                extensible-array index

Every array of values is value(i, j) below, computed again by the Go tests.

data/testdata/hdf5/ (OUTDIR_SNAPSHOTS): snapshots in the conventions of
GADGET-4 (a set of two files, snap_004.0.hdf5 and snap_004.1.hdf5, float32
contiguous, 6 types) and SWIFT (snap_0001.hdf5: BoxSize a 3-vector, 7 types,
Units group, float64 coordinates chunked with gzip and shuffle, latest
format), with the NGP counts numpy computes for them on an 8^3 grid
(np.bincount of floor(x / BoxSize * N) mod N), which the Go tests compare
with `prepare`'s.
"""
import ctypes, os, sys

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "hdf5", "testdata")
SNAP = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "data", "testdata", "hdf5")
ROWS = 200


def value(rows, cols):
    """The test pattern: ((i*7919 + j*104729) mod 100003) * 0.001."""
    i, j = np.indices((rows, cols), dtype=np.int64)
    return ((i * 7919 + j * 104729) % 100003) * 0.001


def datasets(f, latest):
    """The datasets and attributes every fixture file holds."""
    v = value(ROWS, 3)
    f.create_dataset("contiguous", data=v.astype("<f4"))
    f.create_dataset("contiguous_be_f8", data=v.astype(">f8"))
    f.create_dataset("chunked", data=v.astype("<f4"), chunks=(16, 3))
    f.create_dataset("small_chunks", data=v.astype("<f4"), chunks=(2, 3))  # a B-tree deeper than one node
    f.create_dataset("gzip", data=v.astype("<f4"), chunks=(16, 3), compression="gzip", compression_opts=4)
    f.create_dataset("gzip_shuffle_be_f8", data=v.astype(">f8"), chunks=(16, 3), compression="gzip", shuffle=True)
    f.create_dataset("shuffle", data=v.astype("<f4"), chunks=(16, 3), shuffle=True)
    f.create_dataset("across", data=v.astype("<f4"), chunks=(7, 2), compression="gzip")  # chunks split rows
    f.create_dataset("int64", data=(v * 1000).astype("<i8"), chunks=(50, 3))
    space = h5py.h5s.create_simple((10, 3))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    ds = h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    ds.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(value(10, 3).astype("<f4")))
    f.create_dataset("deep/er/group/x", data=v[:5].astype("<f4"))
    many = f.create_group("many")
    for k in range(20):
        many.create_dataset("m%02d" % k, data=np.full(2, k, "<i4"))
    for k in range(200):  # enough for fractal heap indirect blocks and deeper B-trees
        many["l%03d" % k] = many["m%02d" % (k % 20)]
    attrs = f.create_group("attrs")
    for k in range(100):
        attrs.attrs["a%02d" % k] = np.float64(k) / 4
    f.attrs["scalar_f64"] = np.float64(2.5)
    f.attrs["vec3"] = np.array([1.5, 2.5, 3.5])
    f.attrs["counts_u32"] = np.array([1, 2, 3, 4, 5, 6], "<u4")
    f.attrs["counts_i64"] = np.array([-1, 2, 3, 4, 5, 6], "<i8")
    f.attrs["be_u64"] = np.array([1 << 40, 7], ">u8")
    f.attrs["text"] = "not a number"
    if latest:
        big = f.create_group("biglinks")  # a link index two levels deep
        for k in range(1200):
            big["l%04d" % k] = many["m%02d" % (k % 20)]
        f.create_dataset("rank1", data=value(1100, 1)[:, 0].astype("<f4"), chunks=(1,))  # a paged fixed array
        f.create_dataset("btree2", data=v.astype("<f4"), chunks=(2, 3), maxshape=(None, None))
        f.create_dataset("btree2_gzip", data=v.astype("<f4"), chunks=(16, 3), maxshape=(None, None), compression="gzip", shuffle=True)
        f.create_dataset("single", data=v.astype("<f4"), chunks=(ROWS, 3))
        f.create_dataset("single_gzip", data=v.astype("<f4"), chunks=(ROWS, 3), compression="gzip")


def fixtures():
    os.makedirs(OUT, exist_ok=True)
    for name, libver in (("earliest", "earliest"), ("v108", "v108"), ("latest", "latest")):
        with h5py.File(os.path.join(OUT, name + ".h5"), "w", libver=libver) as f:
            datasets(f, name == "latest")
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    # A non-default chunk B-tree K needs superblock version 1; h5py does not
    # wrap H5Pset_istore_k, so call the libhdf5 it is linked to.
    lib = ctypes.CDLL("libhdf5_serial.so.103")
    if lib.H5Pset_istore_k(ctypes.c_int64(fcpl.id), ctypes.c_uint(16)) < 0:
        raise SystemExit("H5Pset_istore_k failed")
    fid = h5py.h5f.create(os.path.join(OUT, "sb1.h5").encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl)
    with h5py.File(fid) as f:
        datasets(f, False)
    with h5py.File(os.path.join(OUT, "userblock.h5"), "w", userblock_size=512) as f:
        f.create_dataset("gzip", data=value(ROWS, 3).astype("<f4"), chunks=(16, 3), compression="gzip")
    with open(os.path.join(OUT, "userblock.h5"), "r+b") as f:
        f.write(b"a user block: the superblock is at offset 512")
    with h5py.File(os.path.join(OUT, "refused.h5"), "w", libver="latest") as f:
        v = value(ROWS, 3).astype("<f4")
        f.create_dataset("fletcher32", data=v, chunks=(16, 3), fletcher32=True)
        f.create_dataset("lzf", data=v, chunks=(16, 3), compression="lzf")
        f.create_dataset("extensible", data=v, chunks=(16, 3), maxshape=(None, 3))


def ngp(pos, box, n=8):
    cell = np.floor(pos.astype(np.float64) / box * n).astype(np.int64) % n
    return np.bincount((cell[:, 0] * n + cell[:, 1]) * n + cell[:, 2], minlength=n**3).reshape(n, n, n).astype(np.float32)


def gadget4(rng):
    """A GADGET-4 set of two files: types 0 and 1, float32, contiguous."""
    box, counts = 50.0, [(300, 700), (200, 800)]
    total = np.sum(counts, axis=0)
    pos = {t: [] for t in (0, 1)}
    for i, c in enumerate(counts):
        with h5py.File(os.path.join(SNAP, "snap_004.%d.hdf5" % i), "w") as f:
            h = f.create_group("Header")
            h.attrs["BoxSize"] = box
            h.attrs["NumFilesPerSnapshot"] = np.int32(len(counts))
            h.attrs["NumPart_ThisFile"] = np.array([c[0], c[1], 0, 0, 0, 0], np.uint64)
            h.attrs["NumPart_Total"] = np.array([total[0], total[1], 0, 0, 0, 0], np.uint64)
            h.attrs["MassTable"] = np.zeros(6)
            h.attrs["Redshift"], h.attrs["Time"] = 1.0, 0.5
            h.attrs["Git_commit"] = "fixture"
            p = f.create_group("Parameters")
            p.attrs["UnitLength_in_cm"], p.attrs["UnitMass_in_g"], p.attrs["UnitVelocity_in_cm_per_s"] = 3.085678e24, 1.989e43, 1e5
            f.create_group("Config")
            for t in (0, 1):
                x = (rng.random((c[t], 3)) * box).astype(np.float32)
                x[0] = [box - 1e-5, 0, box / 2]  # near the upper edge: wraps to cell 0 only if it rounds to box
                pos[t].append(x)
                g = f.create_group("PartType%d" % t)
                g.create_dataset("Coordinates", data=x)
                g.create_dataset("ParticleIDs", data=np.arange(c[t], dtype=np.uint64))
    np.save(os.path.join(SNAP, "gadget4_types1_ngp8.npy"), ngp(np.concatenate(pos[1]), box))
    np.save(os.path.join(SNAP, "gadget4_types01_ngp8.npy"), ngp(np.concatenate(pos[0] + pos[1]), box))


def swift(rng):
    """A SWIFT snapshot: 7 types, BoxSize a 3-vector, float64 gzip+shuffle."""
    box, n = 25.0, [0, 1500, 0, 0, 0, 0, 100]
    with h5py.File(os.path.join(SNAP, "snap_0001.hdf5"), "w", libver="latest") as f:
        h = f.create_group("Header")
        h.attrs["BoxSize"] = np.array([box] * 3)
        h.attrs["Dimension"] = np.int32(3)
        h.attrs["NumFilesPerSnapshot"] = np.int32(1)
        h.attrs["NumPart_ThisFile"] = np.array(n, np.int64)
        h.attrs["NumPart_Total"] = np.array(n, np.uint32)
        h.attrs["NumPart_Total_HighWord"] = np.zeros(7, np.uint32)
        h.attrs["MassTable"] = np.zeros(7)
        h.attrs["Redshift"], h.attrs["Scale-factor"], h.attrs["Time"] = 0.25, 0.8, 0.8
        h.attrs["Code"], h.attrs["RunName"] = "SWIFT", "fixture"
        h.attrs["ThisFile"], h.attrs["Virtual"], h.attrs["TimeBase_dloga"] = np.int32(0), np.int32(0), 1e-10
        u = f.create_group("Units")
        for k, val in (("Unit length in cgs (U_L)", 3.08567758e24), ("Unit mass in cgs (U_M)", 1.98841e43),
                       ("Unit time in cgs (U_t)", 3.08567758e19), ("Unit current in cgs (U_I)", 1.0),
                       ("Unit temperature in cgs (U_T)", 1.0)):
            u.attrs[k] = np.array([val])
        for g in ("Cells", "Code", "Cosmology", "GravityScheme", "HydroScheme", "InternalCodeUnits", "Parameters", "Policy"):
            f.create_group(g)
        all_pos = {}
        for t in (1, 6):
            x = rng.random((n[t], 3)) * box
            all_pos[t] = x
            g = f.create_group("PartType%d" % t)
            g.create_dataset("Coordinates", data=x, chunks=(min(256, n[t]), 3), compression="gzip", shuffle=True)
    np.save(os.path.join(SNAP, "swift_types1_ngp8.npy"), ngp(all_pos[1], box))


def bad():
    """Snapshots `prepare` must refuse, each naming the file and object."""
    def snapshot(name, this=(0, 10, 0, 0, 0, 0), total=None, box=10.0, pos=None, **kw):
        with h5py.File(os.path.join(SNAP, "bad_%s.hdf5" % name), "w") as f:
            h = f.create_group("Header")
            h.attrs["BoxSize"] = box
            h.attrs["NumFilesPerSnapshot"] = np.int32(1)
            h.attrs["NumPart_ThisFile"] = np.array(this, np.uint32)
            h.attrs["NumPart_Total"] = np.array(total if total is not None else this, np.uint32)
            for k, v in kw.items():
                h.attrs[k] = v
            if pos is not None:
                f.create_dataset("PartType1/Coordinates", **pos)
    x = value(10, 3).astype("<f4")
    snapshot("missing_type")
    snapshot("shape", pos=dict(data=x[:, :2]))
    snapshot("filter", pos=dict(data=x, chunks=(5, 3), compression="lzf"))
    snapshot("highword", total=(0, 10, 0, 0, 0, 0), pos=dict(data=x), NumPart_Total_HighWord=np.array([0, 1, 0, 0, 0, 0], np.uint32))
    nan = x.copy()
    nan[7, 1] = np.nan
    snapshot("nan", pos=dict(data=nan, chunks=(4, 3), compression="gzip"))
    snapshot("box", box=np.array([10.0, 10.0, 20.0]), pos=dict(data=x))
    with h5py.File(os.path.join(SNAP, "bad_noheader.hdf5"), "w") as f:
        f.create_dataset("PartType1/Coordinates", data=x)


if __name__ == "__main__":
    fixtures()
    os.makedirs(SNAP, exist_ok=True)
    rng = np.random.default_rng(17)
    gadget4(rng)
    swift(rng)
    bad()
