package report

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// benchAdvisory is what a generated finding takes of one advisory.
type benchAdvisory struct {
	ID, Summary, Details, Package string
	Aliases                       []string
}

var (
	benchAdvOnce sync.Once
	benchAdvs    []benchAdvisory
)

// corpusAdvisories are the advisories of the corpus snapshot (id, summary,
// details, aliases, first package), sorted by id; synthetic ones of real
// lengths when PYVET_CORPUS is unset.
func corpusAdvisories(tb testing.TB) []benchAdvisory {
	benchAdvOnce.Do(func() {
		if root := os.Getenv("PYVET_CORPUS"); root != "" {
			benchAdvs = readCorpusAdvisories(tb, filepath.Join(root, "advisories", "pypi-osv-2026-07-23.zip"))
			return
		}
		for i := range 2000 {
			d := strings.Repeat(fmt.Sprintf("In pkg%d before 1.%d, a crafted <request> & \"header\" lets an attacker read files.\n", i, i%40), 1+i%12)
			benchAdvs = append(benchAdvs, benchAdvisory{ID: fmt.Sprintf("PYSEC-2024-%d", i), Summary: fmt.Sprintf("Path traversal in pkg%d", i),
				Details: d, Package: fmt.Sprintf("pkg%d", i%700), Aliases: []string{fmt.Sprintf("CVE-2024-%d", 10000+i), fmt.Sprintf("GHSA-%04d-abcd-efgh", i)}})
		}
	})
	return benchAdvs
}

func readCorpusAdvisories(tb testing.TB, path string) []benchAdvisory {
	zr, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	var out []benchAdvisory
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, 1<<20))
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		var e struct {
			ID, Summary, Details string
			Aliases              []string
			Affected             []struct{ Package struct{ Name string } }
		}
		if err := json.Unmarshal(data, &e); err != nil {
			tb.Fatalf("%s: %v", f.Name, err)
		}
		if len(e.Affected) == 0 || e.Affected[0].Package.Name == "" {
			continue
		}
		out = append(out, benchAdvisory{ID: e.ID, Summary: strings.TrimSpace(e.Summary), Details: strings.TrimSpace(e.Details),
			Package: strings.ToLower(e.Affected[0].Package.Name), Aliases: e.Aliases})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// benchRun is an audit of about n/3 pins with n vulnerability findings of
// real advisories (several versions of a package share its advisories, as
// in a large generated requirements file), shaped as vuln's findings are.
func benchRun(tb testing.TB, n int) *Result {
	advs := corpusAdvisories(tb)
	byPkg := map[string][]benchAdvisory{}
	var names []string
	for _, a := range advs {
		if byPkg[a.Package] == nil {
			names = append(names, a.Package)
		}
		byPkg[a.Package] = append(byPkg[a.Package], a)
	}
	sort.Strings(names)
	inv := &inventory.Inventory{Sources: []inventory.SourceFile{{Path: "/src/app/requirements.txt", Format: "requirements"}}}
	res := &Result{Tool: "pyvet audit", Version: "v1.2.3", Inventory: inv, Failed: true, Skipped: map[string]string{},
		Meta:  map[string]string{"database": "/cache/pyvet/advisories/pypi.idx", "database_advisories": "7080", "fail_on": "low"},
		Notes: []string{"6 advisories have a range bound that is not a version, so only their versions lists were matched: PYSEC-2026-1194 (x, fixed \"4.6.0.stable11\")"}}
	sevs := []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow, finding.SeverityUnknown}
	for pin := 0; len(res.Findings) < n; pin++ {
		name := names[pin%len(names)]
		version := fmt.Sprintf("%d.%d.%d", 1+pin/len(names), pin%7, pin%3)
		line := pin + 2
		loc := inventory.Location{File: "/src/app/requirements.txt", Line: line}
		inv.Packages = append(inv.Packages, &inventory.Package{Name: name, Version: version, Direct: true,
			Source: inventory.Source{Kind: inventory.SourceIndex}, Locations: []inventory.Location{loc}})
		for k, a := range byPkg[name] {
			if len(res.Findings) >= n || k >= 4 {
				break
			}
			sev := sevs[(pin+k)%len(sevs)]
			fix := []string{fmt.Sprintf("%d.%d.1", 2+pin/len(names), k)}
			title := a.Summary
			if title == "" {
				title = firstLineOf(a.Details)
			}
			l := loc
			f := finding.Finding{Risk: finding.RiskVulnerability, Rule: "vuln", ID: a.ID, Aliases: a.Aliases, Package: name, Version: version,
				Severity: sev, Title: title, Detail: a.Details, Fix: fix, Exact: true, Direct: true, Location: &l,
				Action:   "upgrade " + name + " to " + fix[0] + " or later",
				Evidence: map[string]string{"published": "2024-05-01T12:00:00Z", "modified": "2025-01-02T03:04:05.678Z", "severity_source": "CVSS_V3"}}
			if sev != finding.SeverityUnknown {
				f.CVSS, f.Vector = 9.8-float64(sev)/2, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
			}
			if (pin+k)%17 == 0 {
				f.Ignored, f.IgnoreReason = true, "not reachable (pyvet.toml:3)"
			}
			res.Findings = append(res.Findings, f)
		}
	}
	finding.Sort(res.Findings)
	return res
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// countingWriter counts the bytes written.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkWriters renders generated audits of 3,000 and 30,000 findings
// in each format: time, bytes and allocations per run (and per finding).
func BenchmarkWriters(b *testing.B) {
	for _, n := range []int{3000, 30000} {
		res := benchRun(b, n)
		for _, format := range []string{"json", "sarif", "markdown", "table"} {
			b.Run(fmt.Sprintf("%s/%d", format, n), func(b *testing.B) {
				opts := Options{Color: ColorNever, Desc: true, BaseDir: "/src/app"}
				var w countingWriter
				b.ReportAllocs()
				for b.Loop() {
					w.n = 0
					if err := Write(&w, format, res, opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(w.n), "out-bytes")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/finding")
			})
		}
	}
}
