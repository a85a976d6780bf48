// Package report writes the result of a pyvet run in every output format:
// a table for terminals, JSON (a superset of pip-audit's), Markdown for pull
// request comments, SARIF 2.1.0 for code scanning and a self-contained HTML
// page. Each format is one handler file over the same Result, so adding a
// format touches one file.
package report

import (
	"io"
	"os"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/progress"
)

// Result is a whole run, as a Collector keeps it and Emit replays it:
// everything a report shows.
type Result struct {
	Kind      Kind                 // the command's kind (empty: KindAudit)
	Tool      string               // command that produced it, e.g. "pyvet audit"
	Version   string               // pyvet version, when known
	Inventory *inventory.Inventory // packages audited (may be nil)
	Findings  []finding.Finding    // after policy: ignored findings carry Ignored
	Notes     []string             // messages for the user (expired ignores, stale database, ...)
	Meta      map[string]string    // database source and date, policy file, ...
	Skipped   map[string]string    // package → reason it could not be audited (overrides the default reasons)
	Failed    bool                 // the run fails under the policy (shown in summaries)
	Fixes     []JSONFix            // upgrades applied or proposed (pip-audit's "fixes")
	Projects  []ProjectResult      // audit -R: one per project found, in path order (nil: one project)

	Verifications []Verification     // verify
	Remedy        *Remedy            // fix
	Files         []File             // documents written (sbom)
	Database      *advisory.DBStatus // db status
	Package       *PackageInfo       // pypi info
	Policy        []policy.Entry     // policy show: the effective policy, one entry per value
}

// kind is the run's kind, KindAudit when unset.
func (r *Result) kind() Kind {
	if r.Kind == "" {
		return KindAudit
	}
	return r.Kind
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
	Width       int       // table: the width to fit in columns; 0: the terminal's (COLUMNS when set), 100 when not a terminal
	Desc        bool      // include advisory descriptions (table, markdown)
	Aliases     bool      // include advisory aliases (table, markdown)
	ShowIgnored bool      // list ignored findings too (table, markdown, html); JSON and SARIF always carry them, marked
	BaseDir     string    // make file paths below it relative (all formats; SARIF URIs are relative to %SRCROOT%); default: the current directory
	Title       string    // report title (html, markdown); default "pyvet report"
	NoNotes     bool      // leave the notes out of the table (the caller shows them on standard error)
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

// titleOr is the title, or def when none was given.
func (o Options) titleOr(def string) string {
	if o.Title != "" || def == "" {
		return o.title()
	}
	return def
}
