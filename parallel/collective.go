package parallel

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Protocols built from the collectives of Comm. Like the collectives, every
// rank calls them in the same order with the same arguments (root, lengths).

// Broadcast64 copies root's v into every rank's v, through a sum in which
// the other ranks contribute zeros (Comm has no float64 broadcast; a sum of
// one value and zeros is that value exactly).
func Broadcast64(c Comm, v []float64, root int) error {
	if err := checkRoot("Broadcast64", root, c.Size()); err != nil {
		return err
	}
	if c.Rank() != root {
		clear(v)
	}
	return c.AllReduceSum64(v)
}

// BroadcastJSON copies root's v into every rank's v (a pointer), as JSON:
// its length first, then its bytes. Every rank, root included, decodes the
// same bytes, so all end with the same value. If root cannot encode v, every
// rank returns an error.
func BroadcastJSON(c Comm, v any, root int) error {
	if err := checkRoot("BroadcastJSON", root, c.Size()); err != nil {
		return err
	}
	var b []byte
	var encErr error
	n := []float64{-1} // -1: root failed to encode
	if c.Rank() == root {
		if b, encErr = json.Marshal(v); encErr == nil {
			n[0] = float64(len(b))
		}
	}
	if err := Broadcast64(c, n, root); err != nil {
		return err
	}
	switch {
	case encErr != nil:
		return fmt.Errorf("parallel: BroadcastJSON: %w", encErr)
	case n[0] < 0:
		return errors.New("parallel: BroadcastJSON: the root rank could not encode its value")
	}
	if c.Rank() != root {
		b = make([]byte, int(n[0]))
	}
	if err := c.BroadcastBytes(b, root); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Agree turns an error on any rank into an error on every rank, so that no
// rank is left waiting in a collective the failed one will never join. A
// rank returns its own err if it has one; otherwise, if another rank failed,
// an error saying so; otherwise, if another rank's error wraps stop (a stop
// asked for, such as by a signal, not a failure), an error wrapping stop, so
// that every rank stops rather than fails. stop may be nil.
func Agree(c Comm, err, stop error) error {
	flags := []float64{0, 0} // ranks failed, ranks stopped
	switch {
	case err != nil && stop != nil && errors.Is(err, stop):
		flags[1] = 1
	case err != nil:
		flags[0] = 1
	}
	if cerr := c.AllReduceSum64(flags); cerr != nil {
		return cerr
	}
	switch {
	case err != nil:
		return err
	case flags[0] > 0:
		return fmt.Errorf("another rank failed (see its log)")
	case flags[1] > 0:
		return fmt.Errorf("another rank was stopped: %w", stop)
	}
	return nil
}

// AllGather64 returns every rank's v, in rank order, on every rank: for
// comparing a value across ranks (a checksum of parameters that must stay
// identical). Values are exact: each travels in a sum with zeros.
func AllGather64(c Comm, v float64) ([]float64, error) {
	all := make([]float64, c.Size())
	all[c.Rank()] = v
	if err := c.AllReduceSum64(all); err != nil {
		return nil, err
	}
	return all, nil
}
