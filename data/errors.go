package data

import "errors"

// ErrBadInput marks errors caused by input a user can fix: a malformed or
// truncated file, a value out of range, mismatched shapes. Wrap it with the
// file, offset or value and what was expected,
//
//	fmt.Errorf("%s: offset %d: block marker %d, want %d: %w", path, off, got, want, data.ErrBadInput)
//
// and the command line ends with exit status 2 instead of 1.
var ErrBadInput = errors.New("bad input")
