package eval

import "math"

// Nearest neighbours in the networks' space: the collapse check compares
// each generated sample's distance to its nearest other sample with the
// same for reference crops, and the memorization check each one's distance
// to its nearest training crop. The distance between two images is the RMS
// difference per pixel, sqrt(Σ (a_k − b_k)² / P), summed in float64 from
// the float32 differences: exact enough for near-copies, where the
// expansion |a|² + |b|² − 2a·b would cancel.

// nearBlock is the number of row images a task compares with each column
// image in turn, so that they stay in cache while the columns stream by.
const nearBlock = 8

// rmsDistances returns the RMS distances between every image of a (rows)
// and of b (columns), p values each, as a row-major matrix. With b nil it
// compares a with itself: each pair is computed once and mirrored, and the
// diagonal is 0. Tasks are blocks of rows, each distance is computed by the
// same code whichever thread runs it, so the matrix does not depend on the
// thread count. It takes 8·rows·columns bytes.
func rmsDistances(a, b []float32, p, threads int) []float64 {
	self := b == nil
	if self {
		b = a
	}
	rows, cols := len(a)/p, len(b)/p
	d := make([]float64, rows*cols)
	blocks := (rows + nearBlock - 1) / nearBlock
	forEach(threads, blocks, func(_, t int) error {
		i0, i1 := t*nearBlock, min((t+1)*nearBlock, rows)
		j0 := 0
		if self {
			j0 = i0 + 1
		}
		for j := j0; j < cols; j++ {
			y := b[j*p : (j+1)*p]
			for i := i0; i < i1; i++ {
				if self && j <= i {
					continue
				}
				v := math.Sqrt(sqDist(a[i*p:(i+1)*p], y) / float64(p))
				d[i*cols+j] = v
				if self {
					d[j*cols+i] = v
				}
			}
		}
		return nil
	})
	return d
}

// sqDist is Σ (x_k − y_k)², len(y) >= len(x), in four float64 partial sums.
func sqDist(x, y []float32) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(x); k += 4 {
		d0 := float64(x[k] - y[k])
		d1 := float64(x[k+1] - y[k+1])
		d2 := float64(x[k+2] - y[k+2])
		d3 := float64(x[k+3] - y[k+3])
		s0, s1, s2, s3 = s0+d0*d0, s1+d1*d1, s2+d2*d2, s3+d3*d3
	}
	for ; k < len(x); k++ {
		d := float64(x[k] - y[k])
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// rowMins returns the smallest value of each of the rows of the row-major
// matrix d.
func rowMins(d []float64, rows int) []float64 {
	cols := len(d) / rows
	out := make([]float64, rows)
	for i := range out {
		out[i] = math.Inf(1)
		for _, v := range d[i*cols : (i+1)*cols] {
			out[i] = math.Min(out[i], v)
		}
	}
	return out
}

// nearestOther returns, for each image i of idx, the smallest distance
// d[i][j] (d is n×n) to another image j of idx: one of another group when
// labels (one per image, nil for none) put the images of idx in at least
// two groups, otherwise any j ≠ i. An image with no candidate gets +Inf.
func nearestOther(d []float64, n int, labels []int, idx []int) []float64 {
	grouped := false
	for _, i := range idx {
		if labels != nil && labels[i] != labels[idx[0]] {
			grouped = true
			break
		}
	}
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = math.Inf(1)
		row := d[i*n : (i+1)*n]
		for _, j := range idx {
			if j != i && !(grouped && labels[j] == labels[i]) {
				out[k] = math.Min(out[k], row[j])
			}
		}
	}
	return out
}

// medianFinite is the median of the finite values of xs, 0 if there are
// none; it reorders xs.
func medianFinite(xs []float64) float64 {
	fin := xs[:0]
	for _, x := range xs {
		if !math.IsInf(x, 0) {
			fin = append(fin, x)
		}
	}
	if len(fin) == 0 {
		return 0
	}
	return median(fin)
}
