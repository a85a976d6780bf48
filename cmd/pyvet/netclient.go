package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/httpx"
)

// httpTimeout is the time limit of one HTTP request attempt (audit --timeout;
// 0: the default).
var httpTimeout time.Duration

// httpNotes is where the HTTP client says that it gives up on a host.
var httpNotes io.Writer = os.Stderr

// httpDial, when set, opens the HTTP client's connections (tests count them).
var httpDial func(ctx context.Context, network, addr string) (net.Conn, error)

func init() { cobra.OnInitialize(configureHTTP) }

// configureHTTP installs the program's one HTTP client once the flags are
// parsed: offline mode from --offline, the attempt timeout, and a note on
// standard error when a host is given up on.
func configureHTTP() {
	httpx.SetDefault(httpx.New(httpx.Options{
		Offline:     global.offline,
		Timeout:     httpTimeout,
		DialContext: httpDial,
		Notes:       func(msg string) { fmt.Fprintln(httpNotes, "pyvet: "+msg) },
	}))
}
