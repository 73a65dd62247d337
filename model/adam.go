package model

// AdamConfig holds Adam's hyperparameters; the paper uses lr 2e-4, β1 0.5.
type AdamConfig struct {
	LR    float32 `toml:"lr" json:"lr"`
	Beta1 float32 `toml:"beta1" json:"beta1"`
	Beta2 float32 `toml:"beta2" json:"beta2"`
	Eps   float32 `toml:"eps" json:"eps"`
}

// DefaultAdam is the paper's setting (Appendix A) with PyTorch's β2 and eps.
func DefaultAdam() AdamConfig { return AdamConfig{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8} }

// Adam is the optimizer state of one network: first and second moments laid
// out like its parameters, and the number of updates applied.
type Adam struct {
	AdamConfig
	M, V []float32
	Step int
}

// NewAdam returns a fresh optimizer for n parameters.
func NewAdam(cfg AdamConfig, n int) *Adam {
	return &Adam{AdamConfig: cfg, M: make([]float32, n), V: make([]float32, n)}
}
