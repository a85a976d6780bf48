// Package report writes the result of a pyvet run in every output format:
// a table for terminals, JSON (a superset of pip-audit's), Markdown for pull
// request comments, SARIF 2.1.0 for code scanning and a self-contained HTML
// page. Each format is one handler file over the same Result, so adding a
// format touches one file.
package report

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/progress"
)

// Result is everything a report shows.
type Result struct {
	Tool      string               // command that produced it, e.g. "pyvet audit"
	Version   string               // pyvet version, when known
	Inventory *inventory.Inventory // packages audited (may be nil)
	Findings  []finding.Finding    // after policy: ignored findings carry Ignored
	Notes     []string             // messages for the user (expired ignores, stale database, ...)
	Meta      map[string]string    // database source and date, policy file, ...
	Skipped   map[string]string    // package → reason it could not be audited (overrides the default reasons)
	Failed    bool                 // the run fails under the policy (shown in summaries)
	Fixes     []JSONFix            // upgrades applied or proposed (pip-audit's "fixes")
}

// ColorMode says when the table uses ANSI colour.
type ColorMode int

// Colour modes. ColorAuto colours only when the writer is a terminal and
// NO_COLOR is unset.
const (
	ColorAuto ColorMode = iota
	ColorNever
	ColorAlways
)

// Options tune a report.
type Options struct {
	Color       ColorMode // table only
	Desc        bool      // include advisory descriptions (table, markdown)
	Aliases     bool      // include advisory aliases (table, markdown)
	ShowIgnored bool      // list ignored findings too (table, markdown, html); JSON and SARIF always carry them, marked
	BaseDir     string    // make file paths below it relative (all formats; SARIF URIs are relative to %SRCROOT%); default: the current directory
	Title       string    // report title (html, markdown); default "pyvet report"
	NoNotes     bool      // leave the notes out of the table (the caller shows them on standard error)
}

// writerFunc writes one format.
type writerFunc func(w io.Writer, res *Result, opts Options) error

var formats = map[string]writerFunc{}

// register adds a format; each format file calls it from init.
func register(name string, fn writerFunc) { formats[name] = fn }

// Formats returns the names of every output format, sorted.
func Formats() []string {
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Write writes res to w in format (one of Formats()).
func Write(w io.Writer, format string, res *Result, opts Options) error {
	fn, ok := formats[strings.ToLower(format)]
	if !ok {
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	if res == nil {
		res = &Result{}
	}
	return fn(w, bounded(res), opts)
}

// useColor decides whether the table is coloured.
func useColor(w io.Writer, mode ColorMode) bool {
	switch mode {
	case ColorNever:
		return false
	case ColorAlways:
		return true
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return progress.IsTerminal(w)
}

func (o Options) title() string {
	if o.Title != "" {
		return o.Title
	}
	return "pyvet report"
}
