package daemon

import (
	"fmt"
	"slices"
	"strings"
)

// Device is where a rank trains: key device.
type Device string

const (
	DeviceCPU  Device = "cpu"  // the rank's CPU cores (threads)
	DeviceCUDA Device = "cuda" // one GPU per rank (a binary built with -tags cuda)
)

var devices = []Device{DeviceCPU, DeviceCUDA}

// UnmarshalText refuses a device other than "cpu" and "cuda", naming the key
// and the values it takes.
func (d *Device) UnmarshalText(b []byte) error {
	if !slices.Contains(devices, Device(b)) {
		return fmt.Errorf("device = %q, want %s", b, quoted(devices))
	}
	*d = Device(b)
	return nil
}

// MarshalText writes the name (an unset device, as in the configuration's
// result keys, as "").
func (d Device) MarshalText() ([]byte, error) { return []byte(d), nil }

// Source is where the fields of the dataset come from: key data.source (the
// sources are described at DataConfig).
type Source string

const (
	SourceSimulation Source = "simulation"
	SourceLognormal  Source = "lognormal"
	SourceFiles      Source = "files"
	SourceField      Source = "field"
)

var sources = []Source{SourceSimulation, SourceLognormal, SourceFiles, SourceField}

// UnmarshalText refuses an unknown source, naming the key and the sources.
func (s *Source) UnmarshalText(b []byte) error {
	if !slices.Contains(sources, Source(b)) {
		return fmt.Errorf("data.source = %q, want %s", b, quoted(sources))
	}
	*s = Source(b)
	return nil
}

// MarshalText writes the name.
func (s Source) MarshalText() ([]byte, error) { return []byte(s), nil }

// quoted lists names as `"a", "b" or "c"`.
func quoted[T ~string](names []T) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
