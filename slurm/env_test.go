package slurm

import (
	"strings"
	"testing"
)

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnv(t *testing.T) {
	e, err := FromEnv(mapEnv(nil))
	if err != nil || e != (Env{NTasks: 1}) {
		t.Fatalf("outside Slurm: %+v, %v; want rank 0 of 1", e, err)
	}
	e, err = FromEnv(mapEnv(map[string]string{
		"SLURM_JOB_ID": "4711", "SLURM_PROCID": "5", "SLURM_NTASKS": "8",
		"SLURM_LOCALID": "1", "SLURM_NODEID": " 2 ",
	}))
	want := Env{JobID: "4711", ProcID: 5, NTasks: 8, LocalID: 1, NodeID: 2, InSlurm: true}
	if err != nil || e != want {
		t.Fatalf("got %+v, %v; want %+v", e, err, want)
	}
	// In the batch script itself only the job variables may be set.
	e, err = FromEnv(mapEnv(map[string]string{"SLURM_JOB_ID": "9"}))
	if err != nil || e != (Env{JobID: "9", NTasks: 1, InSlurm: true}) {
		t.Fatalf("job id only: %+v, %v", e, err)
	}
}

func TestFromEnvErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SLURM_JOB_ID": "1", "SLURM_PROCID": "one"}, `SLURM_PROCID="one"`},
		{map[string]string{"SLURM_JOB_ID": "1", "SLURM_NTASKS": "0"}, `SLURM_NTASKS="0" is not an integer ≥ 1`},
		{map[string]string{"SLURM_JOB_ID": "1", "SLURM_NTASKS": "2(x3)"}, "SLURM_NTASKS"},
		{map[string]string{"SLURM_JOB_ID": "1", "SLURM_LOCALID": "-1"}, "SLURM_LOCALID"},
		{map[string]string{"SLURM_JOB_ID": "1", "SLURM_NODEID": "1.5"}, "SLURM_NODEID"},
		{map[string]string{"SLURM_JOB_ID": "1", "SLURM_PROCID": "2", "SLURM_NTASKS": "2"}, "SLURM_PROCID=2 is not below SLURM_NTASKS=2"},
		{map[string]string{"SLURM_JOB_ID": "1", "SLURM_PROCID": "0", "SLURM_NTASKS": "2", "SLURM_LOCALID": "1"}, "SLURM_LOCALID=1"},
	} {
		_, err := FromEnv(mapEnv(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.env, err, tc.want)
		}
	}
}
