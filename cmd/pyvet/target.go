package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/resolve"
	"github.com/pyvet/pyvet/pep508"
)

// targetFlags are the target environment of the commands that evaluate
// environment markers or resolve: --python-version and --platform.
type targetFlags struct {
	pythonVersion string
	platform      string
}

// addTargetFlags adds --python-version and --platform to f.
func addTargetFlags(f *pflag.FlagSet, t *targetFlags) {
	f.StringVar(&t.pythonVersion, "python-version", "3.12", "target Python version for environment markers and resolution")
	f.StringVar(&t.platform, "platform", "linux", "target platform for environment markers and resolution: linux, darwin or win32")
}

// env returns the marker environment of the target, or a usage error.
func (t *targetFlags) env() (pep508.Env, error) {
	switch t.platform {
	case "linux", "darwin", "win32":
	default:
		return nil, fmt.Errorf("--platform must be linux, darwin or win32, not %q", finding.Clip(t.platform, 40))
	}
	v := strings.TrimSpace(t.pythonVersion)
	parts := strings.Split(v, ".")
	ok := len(parts) >= 1 && len(parts) <= 3
	for _, p := range parts {
		ok = ok && p != "" && len(p) <= 3 && strings.Trim(p, "0123456789") == ""
	}
	if !ok {
		return nil, fmt.Errorf("--python-version must be a version such as 3.12 or 3.12.4, not %q", finding.Clip(t.pythonVersion, 40))
	}
	return pep508.DefaultEnv(v, t.platform), nil
}

// resolveFlags are the resolution flags audit and deps share; --index-url
// is each command's own (audit's also names the index of --all).
type resolveFlags struct {
	targetFlags
	extraIndexURLs  []string // --extra-index-url
	uploadedPriorTo string   // --uploaded-prior-to
	pre             bool     // --pre
}

// addResolveFlags adds the target flags, --extra-index-url,
// --uploaded-prior-to and --pre to f.
func addResolveFlags(f *pflag.FlagSet, r *resolveFlags) {
	addTargetFlags(f, &r.targetFlags)
	f.StringArrayVar(&r.extraIndexURLs, "extra-index-url", nil, "another Simple API base to resolve from (repeatable; added to the input's own)")
	f.StringVar(&r.uploadedPriorTo, "uploaded-prior-to", "", "resolve only from files uploaded before `WHEN`: an RFC 3339 time, a date (YYYY-MM-DD) or a duration back from now (7d, 36h, 2w)")
	f.BoolVar(&r.pre, "pre", false, "allow pre-releases and development releases when resolving")
}

// options returns the resolution options of the flags for the run: the
// target environment, indexURL (the command's --index-url; "" for the
// input's own or PyPI), the cache and offline mode, and progress on stderr
// unless --quiet. Bad values are usage errors (exit 2).
func (r *resolveFlags) options(a *app, indexURL string, stderr io.Writer) (resolve.InventoryOptions, error) {
	env, err := r.env()
	if err != nil {
		return resolve.InventoryOptions{}, exitWith(exitUsage, err)
	}
	o := resolve.InventoryOptions{Env: env, IndexURL: indexURL, ExtraIndexURLs: r.extraIndexURLs,
		CacheDir: a.cacheDir(), Offline: a.offline}
	if r.uploadedPriorTo != "" {
		t, err := resolve.ParseCutoff(r.uploadedPriorTo, time.Now())
		if err != nil {
			return resolve.InventoryOptions{}, exitWith(exitUsage, err)
		}
		o.UploadedPriorTo = t
	}
	if r.pre {
		o.Prereleases = resolve.PrereleasesAllow
	}
	if a.showProgress() {
		o.Progress = stderr
	}
	return o, nil
}

// maxExplanationLines bounds the explanation of a conflict on stderr.
const maxExplanationLines = 200

// resolutionError reports a failed resolution (ResolveInventory's error) on
// stderr and returns exit 2: "pyvet: INPUT: ..." on one line, for a
// conflict the explanation indented below it, then hint when given.
func resolutionError(stderr io.Writer, err error, hint string) error {
	cause := err // kept for the exit status (a network failure is exit 3)
	input := "the input"
	var ie *resolve.InputError
	if errors.As(err, &ie) {
		input, err = ie.Input, ie.Err
	}
	var ns *resolve.NoSolutionError
	if errors.As(err, &ns) {
		fmt.Fprintln(stderr, "pyvet: "+finding.Clip(input+": the requirements cannot be resolved together:", maxError))
		lines := strings.Split(strings.TrimSpace(ns.Explanation), "\n")
		for i, l := range lines {
			if i == maxExplanationLines {
				fmt.Fprintf(stderr, "  … (%d more lines)\n", len(lines)-i)
				break
			}
			fmt.Fprintln(stderr, "  "+finding.Clip(l, maxError))
		}
	} else {
		fmt.Fprintln(stderr, "pyvet: "+errorLine(fmt.Errorf("%s: %w", input, err)))
	}
	if hint != "" {
		fmt.Fprintln(stderr, "pyvet: "+hint)
	}
	return exitPrinted(cause)
}
