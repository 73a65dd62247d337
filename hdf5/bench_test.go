package hdf5

import (
	"os"
	"testing"
)

// BenchmarkReadFile reads the dataset $HDF5_BENCH_DATASET of the file
// $HDF5_BENCH_FILE whole, in pieces of 1<<18 rows (what `prepare` asks
// for), as scripts/bench_hdf5.py runs it beside h5py reading the same
// dataset into numpy. It is skipped without those variables.
func BenchmarkReadFile(b *testing.B) {
	path, name := os.Getenv("HDF5_BENCH_FILE"), os.Getenv("HDF5_BENCH_DATASET")
	if path == "" || name == "" {
		b.Skip("set HDF5_BENCH_FILE and HDF5_BENCH_DATASET (see scripts/bench_hdf5.py)")
	}
	r, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	st, err := r.Stat()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		f, err := Open(r, st.Size(), path)
		if err != nil {
			b.Fatal(err)
		}
		d, err := f.Dataset(name)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		if err := d.Read(1<<18, func(p []byte) error { n += len(p); return nil }); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(n))
	}
}
