package daemon

import (
	"io"
	"os"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// NewLogger returns the run's logger: JSON lines carrying the rank, written to
// every file in files and to stderr, where they are rendered for humans when
// stderr is a terminal.
func NewLogger(rank int, files ...io.Writer) zerolog.Logger {
	var console io.Writer = os.Stderr
	if isTerminal(os.Stderr) {
		console = zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05"}
	}
	return zerolog.New(zerolog.MultiLevelWriter(append(files, console)...)).With().Timestamp().Int("rank", rank).Logger()
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
