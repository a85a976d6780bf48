package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/remedy"
	"github.com/pyvet/pyvet/internal/verify"
)

// recorded is every key a JSON document of any kind may hold that a replay needs.
type recorded struct {
	SchemaVersion string                 `json:"schema_version"`
	Kind          Kind                   `json:"kind"`
	Tool          string                 `json:"tool"`
	Version       string                 `json:"version"`
	Dependencies  []JSONDependency       `json:"dependencies"`
	Fixes         []JSONFix              `json:"fixes"`
	Findings      []finding.Finding      `json:"findings"`
	Summary       *Summary               `json:"summary"`
	Failed        bool                   `json:"failed"`
	Notes         []string               `json:"notes"`
	Meta          map[string]string      `json:"meta"`
	Sources       []inventory.SourceFile `json:"sources"`
	Projects      []ProjectResult        `json:"projects"` // audit -R
	// deps: the inventory's own keys.
	Packages     json.RawMessage        `json:"packages"` // a count in db status
	IndexOptions inventory.IndexOptions `json:"index_options"`
	Warnings     []string               `json:"warnings"`
	// fix
	Plan     *remedy.Plan    `json:"plan"`
	Edits    []remedy.Edit   `json:"edits"`
	Commands []string        `json:"commands"`
	Manual   []string        `json:"manual"`
	DryRun   bool            `json:"dry_run"`
	Written  int             `json:"written"`
	Diffs    []FileDiff      `json:"diffs"`
	Files    []File          `json:"files"`
	Package  *PackageInfo    `json:"package"`
	AsOf     time.Time       `json:"as_of"`
	Status   json.RawMessage `json:"status"`
	Results  json.RawMessage `json:"results"`
	Report   json.RawMessage `json:"report"`
	// policy show
	Entries []policy.Entry `json:"entries"`
}

// readJSON decodes a recorded JSON document.
func readJSON(r io.Reader) (*Result, error) {
	var raw json.RawMessage
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a pyvet JSON report: %v", err)
	}
	var doc recorded
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("not a pyvet JSON report: %v", err)
	}
	if doc.SchemaVersion != "" && !strings.HasPrefix(doc.SchemaVersion, "1.") {
		return nil, fmt.Errorf("schema_version %q: this pyvet reads version 1.x", finding.Clip(doc.SchemaVersion, maxName))
	}
	res := &Result{Kind: doc.Kind, Tool: doc.Tool, Version: doc.Version, Notes: doc.Notes, Meta: doc.Meta, Findings: doc.Findings, Failed: doc.Failed}
	switch res.kind() {
	case KindAudit:
		if doc.Dependencies == nil && doc.Summary == nil {
			return nil, fmt.Errorf("not a pyvet JSON report: no dependencies or summary")
		}
		res.Kind = ""
		if doc.Summary != nil {
			res.Failed = doc.Summary.Failed
		}
		res.Fixes = doc.Fixes
		res.Projects = doc.Projects
		inv := &inventory.Inventory{Sources: doc.Sources}
		for _, d := range doc.Dependencies {
			p := &inventory.Package{Name: d.Name, Version: d.Version, Specifier: d.Specifier, Direct: d.Direct, Resolved: d.Resolved,
				Source: inventory.Source{Kind: inventory.SourceKind(d.Source)}, Locations: d.Locations, Requires: d.Requires, Parents: d.Parents}
			inv.Packages = append(inv.Packages, p)
			if d.SkipReason != "" {
				if res.Skipped == nil {
					res.Skipped = map[string]string{}
				}
				res.Skipped[d.Name] = d.SkipReason
			}
		}
		res.Inventory = inv
	case KindDeps:
		inv := &inventory.Inventory{Sources: doc.Sources, Index: doc.IndexOptions, Warnings: doc.Warnings}
		if doc.Packages != nil {
			if err := json.Unmarshal(doc.Packages, &inv.Packages); err != nil {
				return nil, fmt.Errorf("packages: %v", err)
			}
		}
		res.Inventory = inv
	case KindFix:
		res.Fixes = doc.Fixes
		res.Remedy = &Remedy{Result: &remedy.Result{Plan: doc.Plan, Edits: doc.Edits, Commands: doc.Commands, Manual: doc.Manual},
			Diffs: doc.Diffs, DryRun: doc.DryRun, Written: doc.Written}
	case KindSBOM, KindPopularity:
		res.Files = doc.Files
	case KindPolicy:
		res.Policy = append([]policy.Entry{}, doc.Entries...)
	case KindPackageInfo:
		res.Package = doc.Package
	case KindDBStatus:
		var st struct{ advisory.Meta }
		if err := json.Unmarshal(raw, &st); err != nil {
			return nil, err
		}
		res.Database = statusAt(st.Meta, doc.AsOf)
	case KindVerify:
		v := Verification{}
		var err error
		switch {
		case doc.Results != nil:
			v.Hashes = &verify.HashesReport{}
			err = json.Unmarshal(raw, v.Hashes)
		case doc.Report != nil:
			v.Env = &verify.EnvReport{}
			err = json.Unmarshal(doc.Report, v.Env)
		case doc.Status != nil:
			v.Result = &verify.Result{}
			err = json.Unmarshal(raw, v.Result)
		}
		if err != nil {
			return nil, err
		}
		if v != (Verification{}) {
			res.Verifications = []Verification{v}
		}
	case KindVersion:
	default:
		return nil, fmt.Errorf("unknown kind %q", finding.Clip(string(doc.Kind), maxName))
	}
	return res, nil
}

// statusAt is the status of a database with meta m at now, as
// advisory.ReadStatus computes it.
func statusAt(m advisory.Meta, now time.Time) *advisory.DBStatus {
	s := &advisory.DBStatus{Meta: m, Now: now, CheckAge: m.Age(now),
		Downloaded: strings.HasPrefix(m.Source, "http://") || strings.HasPrefix(m.Source, "https://")}
	s.Stale = s.CheckAge > advisory.MaxAge
	s.DataAge, s.HasDataAge = m.DataAge(now)
	s.StaleData = s.HasDataAge && s.DataAge > advisory.StaleData
	return s
}
