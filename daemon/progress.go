package daemon

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// progressBar draws rank 0's progress on a terminal: one line, redrawn at most
// five times a second, with samples/s and the time left. On anything else
// (a log file, a Slurm output file) it draws nothing; the log lines say it.
type progressBar struct {
	on          bool
	stage       string
	steps       int
	batch       int
	start       time.Time
	first, last int
	drawn       time.Time
}

func (r *runner) newProgressBar(stage string, steps, batch int) *progressBar {
	return &progressBar{on: r.comm.Rank() == 0 && isTerminal(os.Stderr), stage: stage, steps: steps, batch: batch,
		start: time.Now(), first: -1}
}

func (b *progressBar) update(step int) {
	if !b.on {
		return
	}
	if b.first < 0 {
		b.first, b.start = step, time.Now()
	}
	b.last = step
	if time.Since(b.drawn) < 200*time.Millisecond && step < b.steps {
		return
	}
	b.drawn = time.Now()
	const width = 30
	filled := width * step / max(b.steps, 1)
	rate := float64((step-b.first)*b.batch) / max(time.Since(b.start).Seconds(), 1e-9)
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64((b.steps-step)*b.batch)/rate) * time.Second).Round(time.Second).String()
	}
	stderrTerminal.setBar(fmt.Sprintf("%s [%s%s] %d/%d  %.1f samples/s  ETA %s",
		b.stage, strings.Repeat("█", filled), strings.Repeat("·", width-filled), step, b.steps, rate, eta))
}

func (b *progressBar) done() {
	if b.on {
		stderrTerminal.setBar("")
	}
}
