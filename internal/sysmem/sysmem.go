// Package sysmem tells how much memory this machine has, so that work that
// cannot fit is refused before it starts instead of dying out of memory.
package sysmem

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// MemInfo is where Linux reports the machine's memory.
const MemInfo = "/proc/meminfo"

// Total is the machine's memory in bytes (MemTotal of MemInfo), 0 if unknown.
func Total() int64 { return TotalFrom(MemInfo) }

// TotalFrom is Total read from a meminfo file at path (tests pass a fake
// one), 0 if it cannot be read or has no MemTotal line in kB.
func TotalFrom(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "MemTotal:       131072000 kB"
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || fields[0] != "MemTotal:" || fields[2] != "kB" {
			continue
		}
		if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil && kb > 0 && kb < 1<<53 {
			return kb << 10
		}
	}
	return 0
}
