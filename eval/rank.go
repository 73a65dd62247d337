package eval

import "math"

// ranker orders the pixels of an image by decreasing value, ties by
// increasing position, with a stable least-significant-digit radix sort on
// the float32 bits (order-preserving for values >= 0): three passes of 11
// bits, linear in the number of pixels.
type ranker struct {
	key, key2 []uint32
	idx, idx2 []uint32
	count     [1 << 11]int
}

func newRanker(p int) *ranker {
	return &ranker{key: make([]uint32, p), key2: make([]uint32, p), idx: make([]uint32, p), idx2: make([]uint32, p)}
}

// levels sets level[j] to the first t with pixel j among the ks[t] largest
// of img (ks increasing), or len(ks) if it is in none.
func (r *ranker) levels(img []float32, ks []int, level []uint8) {
	for j, v := range img {
		r.key[j] = ^math.Float32bits(v) // descending value; v >= 0
		r.idx[j] = uint32(j)
	}
	for shift := uint(0); shift < 33; shift += 11 {
		clear(r.count[:])
		for _, k := range r.key {
			r.count[k>>shift&(1<<11-1)]++
		}
		sum := 0
		for d, c := range r.count {
			r.count[d], sum = sum, sum+c
		}
		for j, k := range r.key {
			d := k >> shift & (1<<11 - 1)
			r.key2[r.count[d]], r.idx2[r.count[d]] = k, r.idx[j]
			r.count[d]++
		}
		r.key, r.key2 = r.key2, r.key
		r.idx, r.idx2 = r.idx2, r.idx
	}
	t := 0
	for pos, j := range r.idx {
		for t < len(ks) && pos >= ks[t] {
			t++
		}
		level[j] = uint8(t)
	}
}
