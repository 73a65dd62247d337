package parallel

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestBroadcast64(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		root := c.Size() - 1
		v := []float64{float64(c.Rank()), -1.5 * float64(c.Rank()+1), 1e300}
		if err := Broadcast64(c, v, root); err != nil {
			t.Error(err)
			return
		}
		if want := []float64{float64(root), -1.5 * float64(root+1), 1e300}; !reflect.DeepEqual(v, want) {
			t.Errorf("rank %d: %v, want root's %v", c.Rank(), v, want)
		}
	})
}

func TestBroadcastJSON(t *testing.T) {
	type msg struct {
		Stage string
		Step  int
		Best  float64
		Notes []string
	}
	forRanks(t, func(t *testing.T, c Comm) {
		v := msg{Stage: fmt.Sprint("rank ", c.Rank()), Step: c.Rank(), Best: 1.0 / 3}
		if c.Rank() == 0 {
			v.Notes = []string{"ρ/ρ̄", ""}
		}
		if err := BroadcastJSON(c, &v, 0); err != nil {
			t.Error(err)
			return
		}
		if want := (msg{Stage: "rank 0", Best: 1.0 / 3, Notes: []string{"ρ/ρ̄", ""}}); !reflect.DeepEqual(v, want) {
			t.Errorf("rank %d: %+v, want %+v", c.Rank(), v, want)
		}
	})
}

// TestBroadcastJSONEncodeError: a value root cannot encode fails on every
// rank, none left waiting.
func TestBroadcastJSONEncodeError(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		v := map[string]any{"f": func() {}}
		if err := BroadcastJSON(c, &v, 0); err == nil {
			t.Errorf("rank %d: no error", c.Rank())
		}
	})
}

func TestAgree(t *testing.T) {
	errStop := errors.New("stopped")
	errBad := errors.New("bad")
	for _, n := range []int{1, 3} {
		for _, c := range []struct {
			name      string
			errs      map[int]error // by rank
			wantOther string        // error on the ranks with none ("" = nil)
		}{
			{"none", nil, ""},
			{"failed", map[int]error{n - 1: errBad}, "another rank failed"},
			{"stopped", map[int]error{n - 1: fmt.Errorf("at step 3: %w", errStop)}, "another rank was stopped"},
			{"failed beats stopped", map[int]error{0: fmt.Errorf("x: %w", errStop), n - 1: errBad}, "another rank failed"},
		} {
			t.Run(fmt.Sprintf("n=%d/%s", n, c.name), func(t *testing.T) {
				runRanks(n, func(comm Comm) {
					own := c.errs[comm.Rank()]
					err := Agree(comm, own, errStop)
					switch {
					case own != nil:
						if err != own {
							t.Errorf("rank %d: %v, want its own %v", comm.Rank(), err, own)
						}
					case c.wantOther == "":
						if err != nil {
							t.Errorf("rank %d: %v, want nil", comm.Rank(), err)
						}
					case err == nil || !strings.Contains(err.Error(), c.wantOther):
						t.Errorf("rank %d: %v, want %q", comm.Rank(), err, c.wantOther)
					case c.name == "stopped" && !errors.Is(err, errStop):
						t.Errorf("rank %d: %v does not wrap the stop", comm.Rank(), err)
					}
				})
			})
		}
	}
}

func TestAllGather64(t *testing.T) {
	forRanks(t, func(t *testing.T, c Comm) {
		got, err := AllGather64(c, float64(10*c.Rank()+1))
		if err != nil {
			t.Error(err)
			return
		}
		for i, v := range got {
			if v != float64(10*i+1) || len(got) != c.Size() {
				t.Errorf("rank %d: %v", c.Rank(), got)
				return
			}
		}
	})
}

// TestLocalRank sets each launcher's variable alone, then Slurm's beside
// OpenMPI's: the GPU a rank takes follows the launcher that started it.
func TestLocalRank(t *testing.T) {
	for _, c := range []struct {
		env     map[string]string
		want    int
		wantErr bool
	}{
		{nil, 0, false},
		{map[string]string{"SLURM_LOCALID": "3"}, 3, false},
		{map[string]string{"OMPI_COMM_WORLD_LOCAL_RANK": "2"}, 2, false},
		{map[string]string{"MPI_LOCALRANKID": "5"}, 5, false},
		{map[string]string{"PMI_LOCAL_RANK": "1"}, 1, false},
		{map[string]string{"PMIX_LOCAL_RANK": "7"}, 7, false},
		{map[string]string{"PMIX_LOCAL_RANK": "x"}, 0, true},
		{map[string]string{"SLURM_LOCALID": "1", "OMPI_COMM_WORLD_LOCAL_RANK": "2"}, 1, false},
		{map[string]string{"SLURM_LOCALID": "-1"}, 0, true},
		{map[string]string{"SLURM_LOCALID": "x"}, 0, true},
	} {
		got, err := LocalRank(func(k string) string { return c.env[k] })
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("LocalRank(%v) = %d, %v", c.env, got, err)
		}
	}
}
