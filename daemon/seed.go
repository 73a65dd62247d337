package daemon

import (
	"hash/fnv"
	"math/rand/v2"
)

// Every random stream of a run is a PCG seeded from (seed, rank, purpose), so
// that streams are independent, reproducible, and their state can go into a
// checkpoint (rand.PCG marshals itself).

// streamSeed hashes the run seed, the rank and a purpose into the two words
// of a PCG seed.
func streamSeed(seed uint64, rank int, purpose string) (uint64, uint64) {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return seed ^ h.Sum64(), uint64(rank)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
}

// newStream returns the PCG for (seed, rank, purpose) and a Rand drawing from it.
func newStream(seed uint64, rank int, purpose string) (*rand.PCG, *rand.Rand) {
	pcg := rand.NewPCG(streamSeed(seed, rank, purpose))
	return pcg, rand.New(pcg)
}
