package data

import (
	"fmt"
	"strconv"
	"strings"
)

// parseNPYHeader reads the Python dict literal of an .npy header. It accepts
// the keys 'descr', 'fortran_order' and 'shape' in any order, with single or
// double quotes, and requires all three.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	p := &pyLit{s: h}
	bad := func(what string) error {
		return fmt.Errorf("malformed .npy header %q: %s at byte %d", strings.TrimSpace(h), what, p.i)
	}
	if !p.eat('{') {
		return "", false, nil, bad("want '{'")
	}
	seen := map[string]bool{}
	for {
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return "", false, nil, bad("want a quoted key")
		}
		if !p.eat(':') {
			return "", false, nil, bad("want ':'")
		}
		switch key {
		case "descr":
			if descr, ok = p.str(); !ok {
				return "", false, nil, bad("want a quoted 'descr'")
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				fortran = true
			case p.word("False"):
				fortran = false
			default:
				return "", false, nil, bad("want True or False for 'fortran_order'")
			}
		case "shape":
			if shape, ok = p.tuple(); !ok {
				return "", false, nil, bad("want a tuple of integers for 'shape'")
			}
		default:
			return "", false, nil, bad(fmt.Sprintf("unknown key %q", key))
		}
		seen[key] = true
		if !p.eat(',') {
			if !p.eat('}') {
				return "", false, nil, bad("want ',' or '}'")
			}
			break
		}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return "", false, nil, fmt.Errorf("malformed .npy header %q: missing key %q", strings.TrimSpace(h), k)
		}
	}
	if shape == nil {
		shape = []int{}
	}
	return descr, fortran, shape, nil
}

// pyLit is a cursor over the small subset of Python literal syntax that .npy
// headers use.
type pyLit struct {
	s string
	i int
}

func (p *pyLit) skip() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyLit) eat(c byte) bool {
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyLit) word(w string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *pyLit) str() (string, bool) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, true
}

func (p *pyLit) tuple() ([]int, bool) {
	if !p.eat('(') {
		return nil, false
	}
	dims := []int{}
	for {
		if p.eat(')') {
			return dims, true
		}
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		// NumPy on some platforms wrote shapes as longs: (3L, 4L).
		v, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, false
		}
		p.i = j
		if p.i < len(p.s) && p.s[p.i] == 'L' {
			p.i++
		}
		dims = append(dims, v)
		if !p.eat(',') {
			if p.eat(')') {
				return dims, true
			}
			return nil, false
		}
	}
}
