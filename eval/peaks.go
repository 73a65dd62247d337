package eval

// Peaks (§4.1.2): a pixel strictly greater than all its 8 (2D) or 26 (3D)
// neighbours. Crops are not periodic, so pixels on the border, which lack a
// full neighbourhood, are never candidates.

// neighbours returns the offsets of the 3^dim − 1 neighbours of a pixel in a
// C-order grid of side n, the two along the last axis (−1, +1) first:
// findPeaks tests those inline, and they reject most candidates.
func neighbours(n, dim int) []int {
	offs := []int{-1, 1}
	zs := []int{0}
	if dim == 3 {
		zs = []int{-1, 0, 1}
	}
	for _, dz := range zs {
		for dy := -1; dy <= 1; dy++ {
			if dz == 0 && dy == 0 {
				continue // the pixel itself and ±1 along x, already listed
			}
			for dx := -1; dx <= 1; dx++ {
				offs = append(offs, (dz*n+dy)*n+dx)
			}
		}
	}
	return offs
}

// findPeaks calls peak(v) for every peak of img, a C-order grid of side n in
// dim dimensions with neighbour offsets offs, in index order.
func findPeaks(img []float32, n, dim int, offs []int, peak func(v float32)) {
	zlo, zhi := 0, 1
	if dim == 3 {
		zlo, zhi = 1, n-1
	}
	for z := zlo; z < zhi; z++ {
		for y := 1; y < n-1; y++ {
			row := (z*n + y) * n
			for i := row + 1; i < row+n-1; i++ {
				v := img[i]
				if !(v > img[i-1] && v > img[i+1]) {
					continue // most pixels end here
				}
				isPeak := true
				for _, o := range offs[2:] {
					if !(v > img[i+o]) {
						isPeak = false
						break
					}
				}
				if isPeak {
					peak(v)
				}
			}
		}
	}
}
