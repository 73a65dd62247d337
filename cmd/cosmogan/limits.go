package main

import (
	"fmt"
	"math"
	"strconv"

	"github.com/cosmogan/cosmogan/internal/sysmem"
)

// meminfo is where the machine's memory is read (a variable for tests).
var meminfo = sysmem.MemInfo

// fallbackBudget is the memory budget where meminfo cannot be read.
const fallbackBudget = 8 << 30

// memoryBudget is how much memory one command may plan to use: half of the
// machine's (MemTotal of meminfo), leaving the rest to the system and to
// what the estimates leave out, or fallbackBudget where that is unknown. It
// returns the budget in bytes and a phrase saying where it comes from.
func memoryBudget() (float64, string) {
	if total := float64(sysmem.TotalFrom(meminfo)); total > 0 {
		return total / 2, fmt.Sprintf("half of this machine's %s (MemTotal in %s)", formatBytes(total), meminfo)
	}
	return fallbackBudget, fmt.Sprintf("the %s assumed when %s gives no MemTotal", formatBytes(fallbackBudget), meminfo)
}

// checkMemory refuses, as a usage error, a request whose estimated memory
// exceeds memoryBudget, before any of it is allocated; what names the
// request (the flags and what they make). Estimates are float64, so that
// absurd sizes do not overflow into small ones.
func checkMemory(what string, bytes float64) error {
	budget, from := memoryBudget()
	if bytes > budget {
		return usageError{fmt.Sprintf("%s: needs about %s of memory, more than %s", what, formatBytes(bytes), from)}
	}
	return nil
}

// formatBytes writes a byte count with a binary unit, to 3 digits.
func formatBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for ; b >= 1024 && i < len(units)-1; i++ {
		b /= 1024
	}
	return strconv.FormatFloat(b, 'g', 3, 64) + " " + units[i]
}

// cells is n^dim as a float64: the number of values of a grid of side n.
func cells(n, dim int) float64 { return math.Pow(float64(n), float64(dim)) }
