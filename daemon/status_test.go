package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cosmogan/cosmogan/parallel"
)

// TestStatusEndpoint watches a run through its endpoint while it trains.
func TestStatusEndpoint(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.GAN.Steps, cfg.GAN.LogEvery = 400, 10
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, dir, parallel.Single()) }()

	var addr string
	deadline := time.Now().Add(20 * time.Second)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var st statusSnapshot
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, "status.addr")); err == nil && addr == "" {
			addr = strings.TrimSpace(string(b))
		}
		if addr != "" {
			if code, body := get("/status"); code == 200 && json.Unmarshal([]byte(body), &st) == nil && st.Stage == stageGAN && st.Step > 0 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.Step == 0 {
		t.Fatalf("no GAN progress on /status at %q within 20 s", addr)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("status endpoint on %s, want loopback", addr)
	}
	if st.Steps != 400 || st.SamplesPerS <= 0 || st.Losses["loss_d"] == 0 || st.Epoch <= 0 {
		t.Errorf("/status = %+v, want steps, throughput, losses and epoch", st)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, metrics := get("/metrics")
	for _, want := range []string{`cosmogan_step{stage="gan"}`, `cosmogan_loss{name="loss_d",stage="gan"}`, "cosmogan_samples_per_second"} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Errorf("/metrics (%d) lacks %s", code, want)
		}
	}
	if code, _ := get("/status"); code != 200 {
		t.Errorf("GET /status: %d", code)
	}
	resp, err := http.Post("http://"+addr+"/status", "text/plain", nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("POST /status accepted: the endpoint must only read")
		}
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("cancelled run returned no error")
	}
}
