package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// Exit statuses shared by every command.
const (
	exitOK       = 0 // nothing found / verified
	exitFindings = 1 // findings at or above the gate / verification failed
	exitUsage    = 2 // bad input, bad usage, unreadable files
)

// exitError carries an exit status out of a command. A nil err exits quietly.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitWith returns an error that makes main exit with code, printing err if non-nil.
func exitWith(code int, err error) error { return &exitError{code: code, err: err} }

// globalOptions are the flags every command shares.
type globalOptions struct {
	cacheDir string
	offline  bool
	quiet    bool
}

var global globalOptions

// subcommands registers constructors from the files of this package; each
// command file adds itself in an init function so commands stay independent.
var subcommands []func() *cobra.Command

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "pyvet",
		Short:         "Secure the supply chain of Python projects",
		Long:          "pyvet inventories a Python project's dependencies and checks them for the OWASP Top 10 open-source risks:\nknown vulnerabilities, compromised or malicious packages, name confusion, unmaintained, outdated and immature\nsoftware, untracked dependencies, license risk, mutable references and dependency size.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       toolVersion(),
	}
	root.SetVersionTemplate("pyvet {{.Version}}\n")
	root.PersistentFlags().StringVar(&global.cacheDir, "cache-dir", "", "cache directory (default: $PYVET_CACHE_DIR or the user cache directory)")
	root.PersistentFlags().BoolVar(&global.offline, "offline", false, "never use the network; use only cached data")
	root.PersistentFlags().BoolVarP(&global.quiet, "quiet", "q", false, "no progress output")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return exitWith(exitUsage, err) })
	for _, mk := range subcommands {
		root.AddCommand(mk())
	}
	return root
}

// cacheDir returns the cache directory from the flag, $PYVET_CACHE_DIR or the
// user cache directory.
func cacheDir() string {
	if global.cacheDir != "" {
		return global.cacheDir
	}
	if d := os.Getenv("PYVET_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "pyvet")
	}
	return filepath.Join(os.TempDir(), "pyvet-cache")
}
