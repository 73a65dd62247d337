package model

// Sync combines what data-parallel ranks computed on their parts of a batch.
// parallel.Comm satisfies it; nil means a single rank. Every rank makes the
// same calls in the same order with the same lengths.
type Sync interface {
	Size() int
	// AllReduceSum replaces buf, on every rank, by its sum over the ranks,
	// bitwise identical everywhere.
	AllReduceSum(buf []float32) error
	AllReduceSum64(buf []float64) error
}

// averageGradients replaces grads by their mean over the ranks and reports
// whether every value is finite. The sum carries a NaN or Inf of any rank to
// all of them, so every rank takes the same decision to skip the update.
func averageGradients(s Sync, grads []float32) (finite bool, err error) {
	if s != nil && s.Size() > 1 {
		if err := s.AllReduceSum(grads); err != nil {
			return false, err
		}
		inv := 1 / float32(s.Size())
		for i := range grads {
			grads[i] *= inv
		}
	}
	return allFinite(grads), nil
}

func allFinite(s []float32) bool {
	for _, v := range s {
		if v-v != 0 { // NaN − NaN and Inf − Inf are NaN; finite − itself is 0
			return false
		}
	}
	return true
}
