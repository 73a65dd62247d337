package eval

import (
	"slices"
	"testing"
)

// TestPeaksHandPlaced: on a flat background (a plateau has no strict
// maximum) hand-placed peaks are found with their heights; border pixels,
// however high, and pixels that only tie a neighbour never count.
func TestPeaksHandPlaced(t *testing.T) {
	const n = 10
	for _, dim := range []int{2, 3} {
		at := func(z, y, x int) int {
			if dim == 2 {
				return y*n + x
			}
			return (z*n+y)*n + x
		}
		mid := 0
		if dim == 3 {
			mid = 4
		}
		s := newTestSet(1, n, dim, func(int, int) float64 { return 1 })
		set := func(z, y, x int, v float32) { s.Data[at(z, y, x)] = v }
		set(mid, 2, 2, 5)   // peak
		set(mid, 7, 7, 9)   // peak
		set(mid, 2, 6, 3)   // peak
		set(mid, 5, 5, 4)   // ties with its neighbour along x: not a peak
		set(mid, 5, 6, 4)   //
		set(mid, 7, 2, 6)   // ties with its neighbour along y: not a peak
		set(mid, 8, 2, 6)   //
		set(mid, 0, 4, 50)  // border row: never a candidate
		set(mid, 4, n-1, 7) // border column
		if dim == 3 {
			set(0, 4, 4, 60)    // border plane
			set(6, 2, 6, 8)     // a peak off the middle plane
			set(mid+1, 5, 2, 2) // ties along z: not a peak
			set(mid+2, 5, 2, 2) //
		}
		var got []float32
		findPeaks(s.Data, n, dim, neighbours(n, dim), func(v float32) { got = append(got, v) })
		slices.Sort(got)
		want := []float32{3, 5, 9}
		if dim == 3 {
			want = []float32{3, 5, 8, 9}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%dD: peak heights %v, want %v", dim, got, want)
		}
	}
}

// TestPeakCountsPerImage: Estimate bins the peaks by height and averages
// the counts over images: here image 0 has peaks of heights 2 and 5, image 1
// one of height 5, with edges [1, 3, 6].
func TestPeakCountsPerImage(t *testing.T) {
	const n = 6
	s := newTestSet(2, n, 2, func(int, int) float64 { return 0.5 })
	s.Data[2*n+2], s.Data[3*n+4] = 2, 5
	s.Data[n*n+3*n+3] = 5
	b := Binning{Pixel: []float64{0.1, 10}, Mean: []float64{0.1, 10}, Peak: []float64{1, 3, 6}}
	pc := estimate(t, s, b, 2).PeakCounts
	if !slices.Equal(pc.MeanCount, []float64{0.5, 1}) || pc.Below != 0 || pc.Above != 0 {
		t.Errorf("mean counts %v (below %g, above %g), want [0.5 1] (0, 0)", pc.MeanCount, pc.Below, pc.Above)
	}
}
