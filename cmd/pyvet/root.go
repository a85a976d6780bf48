package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/httpx"
)

// Exit statuses shared by every command (docs/exit-status.md).
const (
	exitOK       = 0 // nothing found / verified
	exitFindings = 1 // findings at or above the gate / verification failed
	exitUsage    = 2 // bad input, bad usage, unreadable files
	exitNetwork  = 3 // the network or a server failed (httpx.ErrNetwork)
)

// exitStatus is the one place an error becomes an exit status: the code an
// exitError carries, else exitUsage; a failure of the network (anywhere in
// the error chain: httpx.ErrNetwork) is exitNetwork instead of exitUsage,
// whichever command it came from. msg is what main prints (nil: nothing).
func exitStatus(err error) (code int, msg error) {
	if err == nil {
		return exitOK, nil
	}
	code, msg = exitUsage, err
	var ex *exitError
	if errors.As(err, &ex) {
		code, msg = ex.code, ex.err
	}
	if code == exitUsage && errors.Is(err, httpx.ErrNetwork) {
		code = exitNetwork
	}
	return code, msg
}

// exitError carries an exit status out of a command. A nil err exits quietly.
type exitError struct {
	code int
	err  error
	// cause is a failure the command has printed itself: main prints
	// nothing more, but the exit status is mapped from it (exitStatus).
	cause error
}

func (e *exitError) Error() string {
	switch {
	case e.err != nil:
		return e.err.Error()
	case e.cause != nil:
		return e.cause.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func (e *exitError) Unwrap() error {
	if e.err != nil {
		return e.err
	}
	return e.cause
}

// exitWith returns an error that makes main exit with code, printing err if non-nil.
func exitWith(code int, err error) error { return &exitError{code: code, err: err} }

// exitPrinted returns the error of a command that failed with err and has
// printed why itself (a resolver's explanation, say): main prints nothing
// more, and the exit status is err's as exitStatus maps it (exitUsage, or
// exitNetwork for a failure of the network).
func exitPrinted(err error) error { return &exitError{code: exitUsage, cause: err} }

// app is what the commands of one run of pyvet share: the global flags and
// the hooks tests set. It replaces package-level state, so every run (and
// every test) starts from its own.
type app struct {
	cacheDirFlag string        // --cache-dir
	offline      bool          // --offline
	quiet        bool          // -q/--quiet
	httpTimeout  time.Duration // audit --timeout: one HTTP attempt's limit (0: the default)
	progress     progressFlags // --progress-spinner

	// httpNotes is where the HTTP client says that it gives up on a host
	// (nil: standard error).
	httpNotes io.Writer
	// httpDial, when set, opens the HTTP client's connections (tests count them).
	httpDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// httpSleep, when set, waits between two attempts of a request (tests
	// record the waits instead of spending them).
	httpSleep func(ctx context.Context, d time.Duration) error
}

// newRootCmd is pyvet's command tree for a fresh run.
func newRootCmd() *cobra.Command { return (&app{}).rootCmd() }

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "pyvet",
		Short:         "Secure the supply chain of Python projects",
		Long:          "pyvet inventories a Python project's dependencies and checks them for the OWASP Top 10 open-source risks:\nknown vulnerabilities, compromised or malicious packages, name confusion, unmaintained, outdated and immature\nsoftware, untracked dependencies, license risk, mutable references and dependency size.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       toolVersion(),
		// The flags are parsed: the environment gives the flags the command
		// line left unset their values, then the run's one HTTP client is
		// installed.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd, osEnv); err != nil {
				return err
			}
			a.configureHTTP()
			return nil
		},
	}
	root.SetVersionTemplate("pyvet {{.Version}}\n")
	root.PersistentFlags().StringVar(&a.cacheDirFlag, "cache-dir", "", "cache directory (default: $PYVET_CACHE_DIR or the user cache directory)")
	root.PersistentFlags().BoolVar(&a.offline, "offline", false, "never use the network; use only cached data")
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "no progress output")
	a.progress.add(root.PersistentFlags())
	root.Flags().BoolP("version", "V", false, "print the version")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return exitWith(exitUsage, err) })
	root.AddCommand(
		newAuditCmd(a), newDepsCmd(a), newFixCmd(a), newSBOMCmd(a), newVerifyCmd(a),
		newDBCmd(a), newPypiCmd(a), newPolicyCmd(a), newServeCmd(a), newReportCmd(a), newVersionCmd(a),
	)
	// pip-audit's `--desc on` is --desc=on (tests set their own arguments
	// through the same function).
	root.SetArgs(joinOptionalValues(root, os.Args[1:]))
	return root
}

// cacheDir returns the cache directory from the flag, $PYVET_CACHE_DIR or the
// user cache directory.
func (a *app) cacheDir() string {
	if a.cacheDirFlag != "" {
		return a.cacheDirFlag
	}
	if d := os.Getenv("PYVET_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "pyvet")
	}
	return filepath.Join(os.TempDir(), "pyvet-cache")
}
