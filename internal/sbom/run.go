package sbom

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	vulncheck "github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/safeio"
)

// RunOptions are what `pyvet sbom` runs with.
type RunOptions struct {
	// Paths are the inputs (none: the current directory).
	Paths []string
	// Inventory controls how the inputs are read.
	Inventory inventory.Options
	// Document is the format and metadata of the bill of materials; its
	// FallbackName defaults to the first path's directory name and its
	// Findings are filled in with WithVulns.
	Document Options
	// WithVulns adds the known vulnerabilities, from the database opened
	// with Advisories (as audit opens it), under the policy PolicyFlags
	// select (ignored advisories and disabled checks left out).
	WithVulns   bool
	Advisories  advisory.SourceOptions
	PolicyFlags policy.Flags
	// Output is the file to write ("" or "-": Stdout). A file is written
	// through safeio (atomically, symlinks followed).
	Output string
	Stdout io.Writer
	// Warn receives the inventory's warnings once it is read (before the
	// database is opened); nil drops them.
	Warn func([]string)
	// Now is the time the policy's expiries are compared with; nil is
	// time.Now.
	Now func() time.Time
}

// RunResult is what a run wrote.
type RunResult struct {
	Inventory *inventory.Inventory
	// Packages counts the third-party packages of the document,
	// Vulnerabilities its distinct advisories.
	Packages, Vulnerabilities int
	// Notes are one line each: the database's and the policy's.
	Notes []string
}

// Run is `pyvet sbom`: it reads the inputs, adds the vulnerabilities when
// asked, and writes the bill of materials. An error is bad input, a
// database or policy that cannot be read, or an output that cannot be
// written.
func Run(ctx context.Context, opts RunOptions) (*RunResult, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	inv, err := inventory.Load(opts.Paths, opts.Inventory)
	if err != nil {
		return nil, err
	}
	if opts.Warn != nil {
		var warnings finding.Notes
		warnings.AddAll(inv.Warnings)
		opts.Warn(warnings.Lines())
	}
	res := &RunResult{Inventory: inv}
	doc := opts.Document
	if doc.FallbackName == "" {
		doc.FallbackName = ProjectName(opts.Paths)
	}
	if opts.WithVulns {
		db, notes, err := advisory.OpenSource(ctx, opts.Advisories)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		res.Notes = append(res.Notes, notes...)
		// The policy audit and fix read: ignored advisories and disabled
		// checks are left out, as audit leaves them.
		pol, err := policy.LoadForPaths(opts.Paths, opts.PolicyFlags)
		if err != nil {
			return nil, err
		}
		var polNotes []string
		vres := vulncheck.Check(inv, db)
		if err := vres.Err(); err != nil {
			return nil, err // a damaged index: the document would leave advisories out
		}
		doc.Findings, polNotes = pol.Apply(vres.Findings, now())
		res.Notes = append(res.Notes, polNotes...)
	}
	var buf bytes.Buffer
	if err := Write(&buf, inv, doc); err != nil {
		return nil, err
	}
	if opts.Output == "" || opts.Output == "-" {
		if _, err := opts.Stdout.Write(buf.Bytes()); err != nil {
			return nil, err
		}
	} else if err := safeio.WriteFile(opts.Output, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	res.Packages, res.Vulnerabilities = countThirdParty(inv), countVulns(doc.Findings)
	return res, nil
}

// ProjectName names the SBOM's root after the first path (its directory).
func ProjectName(paths []string) string {
	p := "."
	if len(paths) > 0 {
		p = paths[0]
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "project"
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		abs = filepath.Dir(abs)
	}
	if b := filepath.Base(abs); b != "" && b != string(filepath.Separator) && b != "." {
		return b
	}
	return "project"
}

func countThirdParty(inv *inventory.Inventory) int {
	n := 0
	for _, p := range inv.Packages {
		if !p.Project {
			n++
		}
	}
	return n
}

func countVulns(fs []finding.Finding) int {
	ids := map[string]bool{}
	for _, f := range fs {
		if f.ID != "" {
			ids[f.ID] = true
		}
	}
	return len(ids)
}
