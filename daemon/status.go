package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cosmogan/cosmogan/eval"
	"github.com/cosmogan/cosmogan/internal/atomicfile"
)

// samplesPerEpoch is the paper's epoch (§3.1): 40 000 samples.
const samplesPerEpoch = 40000

// status is rank 0's read-only view of the run over HTTP:
//
//	/healthz   200 "ok" while the daemon runs
//	/status    JSON: stage, step, epoch, samples/s, losses, last distances, ETA
//	/metrics   the same as Prometheus gauges
//
// A nil *status (other ranks, or status_addr = "") records nothing.
type status struct {
	addr string
	srv  *http.Server

	mu   sync.Mutex
	snap statusSnapshot

	step, samples, eta *prometheus.GaugeVec
	loss, distance     *prometheus.GaugeVec
}

type statusSnapshot struct {
	Stage          string             `json:"stage"`
	Step           int                `json:"step"`
	Steps          int                `json:"steps"`
	Epoch          float64            `json:"epoch"`
	SamplesPerS    float64            `json:"samples_per_s"`
	Losses         map[string]float64 `json:"losses"`
	Distances      *eval.Distances    `json:"distances,omitempty"`
	ValidationLoss *float64           `json:"validation_loss,omitempty"`
	ETASeconds     float64            `json:"eta_seconds"`
	Updated        time.Time          `json:"updated"`
}

// startStatus serves the endpoint on addr ("host:port"; port 0 picks a free
// one) and writes the address it got to RUN_DIR/status.addr. An empty addr
// turns the endpoint off.
func startStatus(addr string, dir runDir) (*status, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, configErrorf("status_addr = %q: %v", addr, err)
	}
	s := &status{addr: ln.Addr().String()}
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "cosmogan", Name: name, Help: help}, labels)
		reg.MustRegister(g)
		return g
	}
	s.step = gauge("step", "Training steps done in the stage.", "stage")
	s.samples = gauge("samples_per_second", "Training throughput over the last log interval.", "stage")
	s.eta = gauge("eta_seconds", "Estimated time to the end of the stage.", "stage")
	s.loss = gauge("loss", "Training losses averaged over the ranks, and the AE validation loss.", "stage", "name")
	s.distance = gauge("distance", "Distances between generated samples and validation crops at the last evaluation.", "name")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		b, err := json.MarshalIndent(s.snap, "", "  ")
		s.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(append(b, '\n'))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// The endpoint must never take the training down: every connection is
	// bounded in time, and their number in file descriptors.
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: stdlog.New(io.Discard, "", 0)} // library code never prints
	go s.srv.Serve(limitListener(ln, maxStatusConns))
	if err := atomicfile.WriteBytes(dir.path("status.addr"), []byte(s.addr+"\n")); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// maxStatusConns is how many connections the endpoint serves at once; more
// wait in the kernel's accept queue, holding none of the run's descriptors.
const maxStatusConns = 8

// limitListener accepts at most n connections open at a time.
func limitListener(ln net.Listener, n int) net.Listener {
	return &limitedListener{Listener: ln, slots: make(chan struct{}, n)}
}

type limitedListener struct {
	net.Listener
	slots chan struct{}
}

func (l *limitedListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func (s *status) close() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.srv.Close()
	}
}

func (s *status) setStage(stage string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.Stage, s.snap.Updated = stage, time.Now()
}

// record is called at every log line of a stage.
func (s *status) record(stage string, step, steps, batch int, rate float64, names []string, vals []float64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.Stage, s.snap.Step, s.snap.Steps, s.snap.SamplesPerS = stage, step, steps, rate
	s.snap.Epoch = float64(step*batch) / samplesPerEpoch
	s.snap.ETASeconds = 0
	if rate > 0 {
		s.snap.ETASeconds = float64((steps-step)*batch) / rate
	}
	s.snap.Losses = map[string]float64{}
	for i, n := range names {
		s.snap.Losses[n] = vals[i]
		s.loss.WithLabelValues(stage, n).Set(vals[i])
	}
	s.snap.Updated = time.Now()
	s.step.WithLabelValues(stage).Set(float64(step))
	s.samples.WithLabelValues(stage).Set(rate)
	s.eta.WithLabelValues(stage).Set(s.snap.ETASeconds)
}

func (s *status) recordDistances(d eval.Distances) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.Distances = &d
	for name, v := range map[string]float64{"pixel_pdf": d.PixelPDF, "mean_density": d.MeanDensity,
		"power_spectrum": d.PowerSpectrum, "peak_counts": d.PeakCounts, "log_field_spectrum": d.LogFieldSpectrum,
		"collapse_ratio": d.Collapse, "score": d.Score} {
		s.distance.WithLabelValues(name).Set(v)
	}
}

func (s *status) recordValidation(v float64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.ValidationLoss = &v
	s.loss.WithLabelValues(stageAE, "validation").Set(v)
}
