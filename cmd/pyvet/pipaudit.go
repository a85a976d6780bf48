package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pyvet/pyvet/internal/finding"
)

// pip-audit's spellings (docs/pip-audit.md): the flags whose meaning is
// pyvet's own are accepted under pip-audit's names and values, and its
// PIP_AUDIT_* variables have PYVET_* equivalents.

// choiceValue is a flag with a fixed set of values, for pip-audit's
// on|off|auto and on|off flags. When optional is set the flag may be given
// alone (--desc means --desc on), and `--desc on` is read as --desc=on
// (see joinOptionalValues), as argparse reads pip-audit's nargs="?".
type choiceValue struct {
	value    string
	choices  []string
	optional bool
}

func newChoice(def string, optional bool, choices ...string) *choiceValue {
	return &choiceValue{value: def, choices: choices, optional: optional}
}

// String implements pflag.Value.
func (c *choiceValue) String() string { return c.value }

// Type implements pflag.Value: the choices, for the help.
func (c *choiceValue) Type() string { return strings.Join(c.choices, "|") }

// Set implements pflag.Value.
func (c *choiceValue) Set(s string) error {
	v := strings.ToLower(strings.TrimSpace(s))
	if !slices.Contains(c.choices, v) {
		return fmt.Errorf("%q is not one of %s", finding.Clip(s, 40), strings.Join(c.choices, ", "))
	}
	c.value = v
	return nil
}

// on reports whether an on|off|auto value is on for format: auto is on for
// json, as pip-audit's --desc and --aliases are.
func (c *choiceValue) on(format string) bool {
	switch c.value {
	case "on":
		return true
	case "auto":
		return strings.EqualFold(format, "json")
	}
	return false
}

// addChoiceFlag registers a choiceValue; an optional one takes "on" when
// given alone.
func addChoiceFlag(f *pflag.FlagSet, c *choiceValue, name, usage string) {
	f.Var(c, name, usage)
	if c.optional {
		f.Lookup(name).NoOptDefVal = "on"
	}
}

// joinOptionalValues returns args with `--flag VALUE` written `--flag=VALUE`
// where the command args select has --flag as an optional choice flag and
// VALUE is one of its choices: pflag never gives a flag with a default
// value the next argument, argparse (pip-audit) does. Nothing after "--" is
// touched.
func joinOptionalValues(root *cobra.Command, args []string) []string {
	c, _, err := root.Find(args)
	if err != nil || c == nil {
		return args
	}
	flag := func(name string, short bool) *pflag.Flag {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.InheritedFlags()} {
			if short {
				if f := fs.ShorthandLookup(name); f != nil {
					return f
				}
			} else if f := fs.Lookup(name); f != nil {
				return f
			}
		}
		return nil
	}
	// takesNext reports whether the argument a is a flag whose value is
	// the next argument (--index-url URL, -r FILE, -qr FILE).
	takesNext := func(a string) bool {
		if name, ok := strings.CutPrefix(a, "--"); ok {
			f := flag(name, false)
			return !strings.Contains(name, "=") && f != nil && f.NoOptDefVal == ""
		}
		if len(a) < 2 || a[0] != '-' {
			return false
		}
		for i := 1; i < len(a); i++ {
			if f := flag(a[i:i+1], true); f != nil && f.NoOptDefVal == "" {
				return i == len(a)-1 // else the rest of a is the value
			}
		}
		return false
	}
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i:]...)
		case takesNext(a) && i+1 < len(args):
			out = append(out, a, args[i+1])
			i++
			continue
		}
		if name, ok := strings.CutPrefix(a, "--"); ok && i+1 < len(args) {
			if f := flag(name, false); f != nil {
				if cv, ok := f.Value.(*choiceValue); ok && cv.optional && slices.Contains(cv.choices, strings.ToLower(args[i+1])) {
					out = append(out, a+"="+args[i+1])
					i++
					continue
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// timeoutValue is a time limit given as a Go duration (30s, 1m) or, as
// pip-audit's --timeout takes it, a number of seconds.
type timeoutValue struct{ d *time.Duration }

// String implements pflag.Value.
func (t timeoutValue) String() string { return t.d.String() }

// Type implements pflag.Value.
func (t timeoutValue) Type() string { return "duration" }

// Set implements pflag.Value.
func (t timeoutValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n <= 0 || n > 24*3600 {
			return fmt.Errorf("%q: want a positive number of seconds or a duration such as 30s", finding.Clip(s, 40))
		}
		*t.d = time.Duration(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q: want a positive number of seconds or a duration such as 30s", finding.Clip(s, 40))
	}
	*t.d = d
	return nil
}

// addTimeoutFlag registers --timeout (default def) into d.
func addTimeoutFlag(f *pflag.FlagSet, d *time.Duration, def time.Duration, usage string) {
	*d = def
	f.Var(timeoutValue{d}, "timeout", usage+" (a duration such as 30s, or seconds as pip-audit takes them)")
}

// serviceValue is pip-audit's -s/--vulnerability-service. pyvet matches
// the OSV data (its database, or --service URL for an OSV API): osv is
// that; PyPI's JSON API and ecosyste.ms are services pyvet does not query.
type serviceValue struct{ value string }

// String implements pflag.Value.
func (s *serviceValue) String() string { return s.value }

// Type implements pflag.Value.
func (s *serviceValue) Type() string { return "osv" }

// Set implements pflag.Value.
func (s *serviceValue) Set(v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "osv":
		s.value = "osv"
		return nil
	case "pypi":
		return errors.New("pyvet does not query PyPI's JSON API for vulnerabilities; it matches the OSV data, which holds the same PyPA advisories (PYSEC ids) and GHSA ones: use -s osv (the default), or --service URL for an OSV API")
	case "esms":
		return errors.New("pyvet does not query ecosyste.ms; it matches the OSV data: use -s osv (the default), or --service URL for an OSV API")
	}
	return fmt.Errorf("%q is not a vulnerability service pyvet knows: osv (the default)", finding.Clip(v, 40))
}

// pipAuditNames maps pip-audit's long flag names to pyvet's, for the
// commands that take pyvet's flag: --osv-url is --service.
func pipAuditNames(aliases map[string]string) func(*pflag.FlagSet, string) pflag.NormalizedName {
	return func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if to, ok := aliases[name]; ok {
			return pflag.NormalizedName(to)
		}
		return pflag.NormalizedName(name)
	}
}

// envFlags are the environment variables that give a flag its value when
// the command line does not (pip-audit's PIP_AUDIT_* → PYVET_*). The ones
// that shape the output (format, descriptions, aliases, progress) apply to
// every command that has the flag; PYVET_OUTPUT applies where pip-audit's
// applies, to `pyvet audit` (with --fix too), so that a variable set for
// the audit of a CI job does not make the job's other pyvet commands write
// over its report; the service variables are audit's flags anyway.
var envFlags = []struct {
	flag, env string
	audit     bool // only `pyvet audit` reads it
}{
	{"format", "PYVET_FORMAT", false},
	{"output", "PYVET_OUTPUT", true},
	{"desc", "PYVET_DESC", false},
	{"aliases", "PYVET_ALIASES", false},
	{"progress-spinner", "PYVET_PROGRESS_SPINNER", false},
	{"vulnerability-service", "PYVET_VULNERABILITY_SERVICE", true},
	{"service", "PYVET_SERVICE", true},
}

// applyEnv sets, on cmd, every flag of envFlags that applies to the
// command and that the command line left unset, from its non-empty
// environment variable (getenv). A value the flag refuses is a usage error
// naming the variable.
func applyEnv(cmd *cobra.Command, getenv func(string) string) error {
	isAudit := cmd.CommandPath() == "pyvet audit"
	for _, e := range envFlags {
		v := strings.TrimSpace(getenv(e.env))
		if v == "" || e.audit && !isAudit {
			continue
		}
		f := cmd.Flags().Lookup(e.flag)
		if f == nil || f.Changed {
			continue
		}
		if err := cmd.Flags().Set(e.flag, v); err != nil {
			return exitWith(exitUsage, fmt.Errorf("%s: %v", e.env, err))
		}
	}
	return nil
}

// progressFlags are the root's pip-audit progress flag.
type progressFlags struct {
	spinner *choiceValue // --progress-spinner on|off
}

// addProgressFlags adds --progress-spinner to the root's persistent flags.
func (p *progressFlags) add(f *pflag.FlagSet) {
	p.spinner = newChoice("on", false, "on", "off")
	addChoiceFlag(f, p.spinner, "progress-spinner", "progress output on standard error (off: as -q, but the summary line stays)")
}

// showProgress reports whether progress goes to standard error: not with
// -q, nor with --progress-spinner off.
func (a *app) showProgress() bool {
	return !a.quiet && (a.progress.spinner == nil || a.progress.spinner.value != "off")
}

// osEnv is the process environment, for applyEnv.
var osEnv = os.Getenv
