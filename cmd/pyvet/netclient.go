package main

import (
	"fmt"
	"os"

	"github.com/pyvet/pyvet/internal/httpx"
)

// configureHTTP installs the program's one HTTP client once the flags are
// parsed: offline mode from --offline, the attempt timeout, and a note on
// standard error when a host is given up on.
func (a *app) configureHTTP() {
	notes := a.httpNotes
	if notes == nil {
		notes = os.Stderr
	}
	httpx.SetDefault(httpx.New(httpx.Options{
		Offline:     a.offline,
		Timeout:     a.httpTimeout,
		DialContext: a.httpDial,
		Sleep:       a.httpSleep,
		Notes:       func(msg string) { fmt.Fprintln(notes, "pyvet: "+msg) },
	}))
}
