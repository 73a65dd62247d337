package daemon

import (
	"io"
	"os"
	"sync"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// NewLogger returns the run's logger: JSON lines carrying the rank, written to
// every file in files (the rank's log) and to stderr. On stderr, rank 0
// writes everything and the other ranks only warnings and errors, so that a
// job's output file is not N copies of one log; on a terminal the lines are
// rendered for humans, above rank 0's progress bar.
func NewLogger(rank int, files ...io.Writer) zerolog.Logger {
	var console io.Writer = os.Stderr
	if isTerminal(os.Stderr) {
		console = zerolog.ConsoleWriter{Out: stderrTerminal, TimeFormat: "15:04:05"}
	}
	var w zerolog.LevelWriter = zerolog.LevelWriterAdapter{Writer: console}
	if rank != 0 {
		w = &zerolog.FilteredLevelWriter{Writer: w, Level: zerolog.WarnLevel}
	}
	outs := []io.Writer{w}
	for _, f := range files {
		outs = append(outs, f)
	}
	return zerolog.New(zerolog.MultiLevelWriter(outs...)).With().Timestamp().Int("rank", rank).Logger()
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// terminal is stderr when it is a terminal: log lines scroll above the
// progress bar, which stays on the last line and is redrawn after each.
type terminal struct {
	mu  sync.Mutex
	out io.Writer
	bar string
}

var stderrTerminal = &terminal{out: os.Stderr}

const clearLine = "\r\033[K"

func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.out, clearLine)
	n, err := t.out.Write(p)
	if t.bar != "" {
		io.WriteString(t.out, t.bar)
	}
	return n, err
}

// setBar draws (or, with "", clears) the progress bar.
func (t *terminal) setBar(bar string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.bar = bar
	io.WriteString(t.out, clearLine+bar)
}
