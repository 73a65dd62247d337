package daemon

import "testing"

func BenchmarkStep3D(b *testing.B) {
	for b.Loop() {
		if _, err := BenchStep(3, 4, 2, 2); err != nil {
			b.Fatal(err)
		}
	}
}
