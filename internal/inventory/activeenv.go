package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/safeio"
)

// The active environment is what `pip list` would show: the virtualenv
// VIRTUAL_ENV names, else the site-packages directories of the python3 on
// PATH. A virtualenv is read from the file system (pyvenv.cfg and its
// lib/pythonX.Y/site-packages). The site-packages of an interpreter are
// asked of the interpreter itself: where they are is decided by its build
// and its site module (Debian's dist-packages, framework builds, user
// sites), and the python3 on PATH is often not the interpreter but a shim
// (pyenv, asdf) that only running it resolves.

// probeTimeout bounds the run of the interpreter; probeOutputCap its output.
const (
	probeTimeout   = 5 * time.Second
	probeOutputCap = 64 << 10
)

// probeScript prints the interpreter's installation directories as JSON.
// The current directory is dropped from sys.path before anything is
// imported, so no module of the audited directory runs.
const probeScript = `import sys
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]
import json, site, sysconfig
p = sysconfig.get_paths()
g = getattr(site, "getsitepackages", None)
u = getattr(site, "getusersitepackages", None)
json.dump({"prefix": sys.prefix, "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "purelib": p.get("purelib") or "", "platlib": p.get("platlib") or "",
    "site": list(g()) if g else [], "user_site": (u() if u else "") or "",
    "user_enabled": bool(site.ENABLE_USER_SITE)}, sys.stdout)
`

// interpreterPaths is what probeScript prints.
type interpreterPaths struct {
	Prefix      string   `json:"prefix"`
	BasePrefix  string   `json:"base_prefix"`
	Purelib     string   `json:"purelib"`
	Platlib     string   `json:"platlib"`
	Site        []string `json:"site"`
	UserSite    string   `json:"user_site"`
	UserEnabled bool     `json:"user_enabled"`
}

// cappedBuffer keeps the first max bytes written to it and counts the rest.
type cappedBuffer struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.over = true
		c.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.buf.Write(p)
}

// probeInterpreter runs python with probeScript (no shell, no input,
// bounded in time and output) and returns the paths it printed.
func probeInterpreter(ctx context.Context, python string) (*interpreterPaths, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", probeScript)
	cmd.Stdin = nil
	var out, errOut cappedBuffer
	out.max, errOut.max = probeOutputCap, 4096
	cmd.Stdout, cmd.Stderr = &out, &errOut
	// A child of the interpreter that keeps its output open must not hold
	// the run past the timeout.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return nil, fmt.Errorf("%s did not answer within %v", python, probeTimeout)
	case err != nil:
		msg := strings.TrimSpace(errOut.buf.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:] // the last line of a traceback says what failed
		}
		if msg != "" {
			return nil, fmt.Errorf("%s failed (%v): %s", python, err, safeio.Excerpt(msg))
		}
		return nil, fmt.Errorf("%s failed: %v", python, err)
	case out.over:
		return nil, fmt.Errorf("%s printed more than %s asked where its site-packages are", python, safeio.HumanBytes(probeOutputCap))
	}
	var ip interpreterPaths
	if err := json.Unmarshal(bytes.TrimSpace(out.buf.Bytes()), &ip); err != nil || ip.Prefix == "" {
		return nil, fmt.Errorf("%s did not print its site-packages paths (got %s)", python, safeio.Excerpt(out.buf.String()))
	}
	return &ip, nil
}

// sites returns the installation directories of the interpreter, existing
// ones only, each once: with local, only the environment's own (a
// virtualenv's directories under its prefix; for a system interpreter
// everything but the user site).
func (ip *interpreterPaths) sites(local bool) []string {
	inVenv := ip.BasePrefix != "" && filepath.Clean(ip.BasePrefix) != filepath.Clean(ip.Prefix)
	cands := append([]string{ip.Purelib, ip.Platlib}, ip.Site...)
	if ip.UserEnabled && !local {
		cands = append(cands, ip.UserSite)
	}
	var out []string
	for _, d := range cands {
		if d == "" || !filepath.IsAbs(d) || !isDir(d) {
			continue
		}
		if local && inVenv && !within(filepath.Clean(d), filepath.Clean(ip.Prefix)) {
			continue
		}
		out = append(out, d)
	}
	return uniqueDirs(out)
}

// systemSitePackages reports whether a virtualenv's pyvenv.cfg gives it
// access to the system site-packages.
func systemSitePackages(venv string) bool {
	data, err := safeio.ReadFile(filepath.Join(venv, "pyvenv.cfg"), 1<<16)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "include-system-site-packages" {
			return strings.EqualFold(strings.TrimSpace(v), "true")
		}
	}
	return false
}

// absClean is path made absolute and clean (as given when that fails).
func absClean(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

// venvPython is the interpreter of a virtualenv, "" when it has none.
func venvPython(venv string) string {
	for _, p := range []string{"bin/python3", "bin/python", "Scripts/python.exe"} {
		if st, err := os.Stat(filepath.Join(venv, p)); err == nil && !st.IsDir() {
			return filepath.Join(venv, p)
		}
	}
	return ""
}

// ErrNoEnvironment is the error of Load when it was asked for the active
// environment and there is none.
var ErrNoEnvironment = errors.New("no active environment")

// loadActiveEnvironment reads the active environment (see
// EnvironmentOptions.ActiveEnvironment). The inventory's first warning
// says what was audited.
func loadActiveEnvironment(opts Options) (*Inventory, error) {
	ctx := context.Background()
	if venv := os.Getenv("VIRTUAL_ENV"); venv != "" {
		st, err := os.Stat(venv)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%w: VIRTUAL_ENV is %s, which is not a directory", ErrNoEnvironment, safeio.Excerpt(venv))
		}
		if len(sitePackagesOf(venv)) == 0 && !isDir(filepath.Join(venv, "conda-meta")) {
			return nil, fmt.Errorf("%w: VIRTUAL_ENV %s has no lib/pythonX.Y/site-packages", ErrNoEnvironment, safeio.Excerpt(venv))
		}
		inv, err := loadPrefix(venv, opts)
		if err != nil {
			return nil, err
		}
		note := fmt.Sprintf("audited the active environment %s (VIRTUAL_ENV)", venv)
		var extra []string
		if !opts.Local && systemSitePackages(venv) {
			// The system site-packages are part of this environment: ask its
			// interpreter where they are.
			py := venvPython(venv)
			var ip *interpreterPaths
			if py != "" {
				ip, err = probeInterpreter(ctx, py)
			}
			if ip == nil {
				why := "it has no interpreter"
				if err != nil {
					why = err.Error()
				}
				inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s: the system site-packages it includes are not audited (%s); --path DIR audits them", venv, why))
			} else {
				for _, d := range ip.sites(false) {
					if !within(filepath.Clean(d), absClean(venv)) {
						extra = append(extra, d)
					}
				}
			}
		}
		return withSites(inv, note, extra, opts)
	}
	name := "python3"
	py, err := exec.LookPath(name)
	if err != nil && runtime.GOOS == "windows" {
		name = "python"
		py, err = exec.LookPath(name)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: VIRTUAL_ENV is not set and there is no python3 on PATH", ErrNoEnvironment)
	}
	ip, err := probeInterpreter(ctx, py)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoEnvironment, err)
	}
	dirs := ip.sites(opts.Local)
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%w: %s (prefix %s) has no site-packages directory", ErrNoEnvironment, py, safeio.Excerpt(ip.Prefix))
	}
	note := fmt.Sprintf("audited the active environment %s (%s on PATH: %s)", ip.Prefix, name, strings.Join(dirs, ", "))
	return withSites(&Inventory{}, note, dirs, opts)
}

// withSites merges inv with the distributions installed in dirs and puts
// note first among the warnings.
func withSites(inv *Inventory, note string, dirs []string, opts Options) (*Inventory, error) {
	parts := []*Inventory{inv}
	for _, d := range dirs {
		sp, err := ParseSitePackages(d, opts)
		if err != nil {
			return nil, err
		}
		parts = append(parts, sp)
	}
	out := Merge(parts...)
	out.Warnings = append([]string{note}, out.Warnings...)
	return out, nil
}

// loadInstallPath reads a directory named with --path: the distributions
// installed in it (a virtualenv or prefix: in its site-packages).
func loadInstallPath(dir string, opts Options) (*Inventory, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, errf(dir, 0, "%v", pathError(err))
	}
	if !st.IsDir() {
		return nil, errf(dir, 0, "--path takes a directory of installed distributions")
	}
	if Detect(dir) == FormatVirtualenv {
		return loadPrefix(dir, opts)
	}
	return ParseSitePackages(dir, opts)
}
