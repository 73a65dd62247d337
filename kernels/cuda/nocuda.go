//go:build !cuda

package cuda

// Open fails: this binary has no GPU driver.
func Open(localID int) (*Device, error) { return nil, ErrNotBuilt }
