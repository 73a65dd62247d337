package daemon

import (
	"hash/fnv"
	"math/rand/v2"
)

// Randomness. Every random draw of training belongs to one sample of the
// global batch: sample i of step s of a stage draws its crop, latent vector and
// labels from a PCG seeded from (seed, purpose, rollbacks, s, i). So
//   - a resumed run draws exactly what the uninterrupted one drew (nothing to
//     save but the step),
//   - the global batch is the same for any number of ranks (rank r takes
//     samples [r·n, (r+1)·n)), so a 2-rank run trains on the same data as a
//     1-rank run of the same global batch,
//   - after a rollback the draws change (rollbacks is in the seed), so the
//     stage does not replay the steps that failed.

// stream is a reusable PCG reseeded for each sample.
type stream struct {
	base uint64 // hash of seed and purpose
	pcg  rand.PCG
	rng  *rand.Rand
}

func newStreamFor(seed uint64, purpose string) *stream {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	s := &stream{base: mix(seed, h.Sum64())}
	s.rng = rand.New(&s.pcg)
	return s
}

// at returns the generator of sample i of step s after the given number of
// rollbacks.
func (s *stream) at(rollbacks, step, i int) *rand.Rand {
	s.pcg.Seed(mix(s.base, uint64(rollbacks)), mix(uint64(step), uint64(i)))
	return s.rng
}

// fixed returns a generator for draws that do not depend on the step
// (evaluation crops, figure samples).
func (s *stream) fixed() *rand.Rand { return s.at(0, -1, 0) }

// mix is splitmix64 of a combined with b: a fixed scrambling of two words.
func mix(a, b uint64) uint64 {
	z := a ^ (b<<32 | b>>32) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
