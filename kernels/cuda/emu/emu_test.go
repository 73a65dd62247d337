package emu_test

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/cosmogan/cosmogan/kernels/cuda/emu"
)

// TestEveryKernelIsRegistered: the emulator's table must list every kernel of
// kernels.cu, or the backend would fail only on the machines without a GPU.
func TestEveryKernelIsRegistered(t *testing.T) {
	src, err := os.ReadFile("../kernels.cu")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range regexp.MustCompile(`extern "C" __global__ void (\w+)\(`).FindAllSubmatch(src, -1) {
		want = append(want, string(m[1]))
	}
	got := emu.Kernels()
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("the emulator knows %v, kernels.cu defines %v", got, want)
	}
}

// TestLaunchChecksItsArguments: a wrong argument count or block size is an
// error that names the kernel, not a crash.
func TestLaunchChecksItsArguments(t *testing.T) {
	var d emu.Driver
	one := [3]int{1, 1, 1}
	for _, c := range []struct {
		kernel      string
		block       [3]int
		args        []uint64
		wantMessage string
	}{
		{"adam", one, []uint64{1, 2}, "emu: kernel adam takes 11 arguments, got 2"},
		{"no_such_kernel", one, nil, "emu: no kernel named no_such_kernel"},
		{"adam", [3]int{2048, 1, 1}, make([]uint64, 11), "emu: kernel adam: 2048 threads per block, want 1 to 1024"},
	} {
		err := d.Launch(c.kernel, one, c.block, c.args)
		if err == nil || err.Error() != c.wantMessage {
			t.Errorf("Launch(%s, block %v, %d args) = %v, want %q", c.kernel, c.block, len(c.args), err, c.wantMessage)
		}
	}
}
