package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/remedy"
	"github.com/pyvet/pyvet/internal/verify"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// update rewrites the golden files: go test ./internal/report -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenRun is one recorded run: a result and the options it is rendered with.
type goldenRun struct {
	name string
	res  func(t testing.TB) *Result
	opts Options
}

// goldenRuns are the audit runs whose output in every format is recorded.
func goldenRuns() []goldenRun {
	return []goldenRun{
		{"audit", fixture, Options{Color: ColorNever}},
		{"audit-desc", fixture, Options{Color: ColorNever, Desc: true, Aliases: true, ShowIgnored: true, Title: "Dependency audit"}},
		{"audit-empty", func(testing.TB) *Result { return &Result{Tool: "pyvet audit", Version: "v1.2.3"} }, Options{Color: ColorNever}},
		{"audit-clean", func(t testing.TB) *Result {
			res := fixture(t)
			res.Version = "v1.2.3"
			res.Findings = nil
			res.Failed = false
			res.Notes = nil
			res.Skipped = map[string]string{"black": "version-control dependency: no released version to audit"}
			res.Fixes = []JSONFix{{Name: "werkzeug", OldVersion: "2.0.0", NewVersion: "2.3.8"}, {Name: "jinja2", SkipReason: "no safe version"}}
			return res
		}, Options{Color: ColorNever}},
		{"audit-inexact", func(testing.TB) *Result {
			inv := &inventory.Inventory{
				Sources:  []inventory.SourceFile{{Path: "requirements.txt", Format: "requirements"}},
				Packages: []*inventory.Package{{Name: "requests", Specifier: ">=2.0", Direct: true, Source: inventory.Source{Kind: inventory.SourceIndex}, Locations: []inventory.Location{{File: "requirements.txt", Line: 1}}}},
			}
			return &Result{Tool: "pyvet audit", Inventory: inv, Failed: true, Meta: map[string]string{"fail_on": "medium"}, Findings: []finding.Finding{{
				Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-2018-28", Package: "requests", Version: ">=2.0",
				Severity: finding.SeverityUnknown, Title: "requests leaks credentials", Fix: []string{"2.20.0"}, Direct: true,
				Location: &inventory.Location{File: "requirements.txt", Line: 1},
			}}}
		}, Options{Color: ColorNever}},
		// A run over a tree of projects (audit -R): a section per project, then the total.
		{"audit-recursive", func(testing.TB) *Result { return treeRun() }, Options{Color: ColorNever, BaseDir: "/src/monorepo"}},
	}
}

// goldenExt is the file extension of a format's golden file.
func goldenExt(format string) string {
	switch format {
	case "table":
		return "txt"
	case "markdown":
		return "md"
	}
	return format
}

// TestGoldenAudit renders every recorded audit run in every format and
// compares the output with testdata/golden byte for byte.
func TestGoldenAudit(t *testing.T) {
	for _, run := range goldenRuns() {
		for _, format := range Formats() {
			var b bytes.Buffer
			if err := Write(&b, format, run.res(t), run.opts); err != nil {
				t.Fatalf("%s %s: %v", run.name, format, err)
			}
			checkGolden(t, filepath.Join("testdata", "golden", run.name+"."+goldenExt(format)), b.Bytes())
		}
	}
}

// checkGolden compares got with the golden file (or rewrites it with -update).
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to record it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: output differs from the golden file (%d bytes, want %d):\n%s", path, len(got), len(want), firstDiff(got, want))
	}
}

// firstDiff quotes the output around the first byte where got and want differ.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-80)
	return "got:  " + string(got[lo:min(len(got), i+80)]) + "\nwant: " + string(want[lo:min(len(want), i+80)])
}

// TestGoldenConvert replays every recorded audit JSON document into every
// format: the output is the golden file of that format, byte for byte, so a
// recorded run converts to what the command would have written.
func TestGoldenConvert(t *testing.T) {
	for _, run := range goldenRuns() {
		data, err := os.ReadFile(filepath.Join("testdata", "golden", run.name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", run.name, err)
		}
		for _, format := range Formats() {
			var b bytes.Buffer
			if err := Write(&b, format, res, run.opts); err != nil {
				t.Fatalf("%s %s: %v", run.name, format, err)
			}
			want, _ := os.ReadFile(filepath.Join("testdata", "golden", run.name+"."+goldenExt(format)))
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s converted to %s differs from the golden file:\n%s", run.name, format, firstDiff(b.Bytes(), want))
			}
		}
	}
	for _, bad := range []string{``, `[1]`, `{"schema_version": "2.0", "kind": "audit"}`, `{"kind": "nonsense", "schema_version": "1.0"}`, `{"x": 1}`} {
		if _, err := ReadJSON(strings.NewReader(bad)); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("ReadJSON(%q) = %v, want a one-line error", bad, err)
		}
	}
}

// kindRuns are recorded runs of the other commands.
func kindRuns(t testing.TB) map[string]*Result {
	inv := fixture(t).Inventory
	now := time.Date(2026, 7, 30, 12, 0, 0, 0, time.UTC)
	meta := advisory.Meta{Source: "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip", Format: "zip", ContentSHA256: "ab12",
		Built: now.Add(-time.Hour), Newest: now.Add(-50 * 24 * time.Hour), Count: 7080, Withdrawn: 12, Packages: 3100, ETag: `"e1"`,
		Fetched: now.Add(-30 * time.Hour), Path: "/cache/pyvet/advisories.idx"}
	env := &verify.EnvReport{SitePackages: []string{".venv/lib/python3.12/site-packages"}, Packages: 3, Files: 41, Problems: []verify.RecordProblem{
		{Package: "demo", Version: "1.0", Path: "demo/__init__.py", Kind: "modified", Detail: "sha256 differs from RECORD"},
		{Path: "evil.pth", Kind: "pth-exec", Detail: "import os; os.system('id')"}}}
	return map[string]*Result{
		"deps":      {Kind: KindDeps, Tool: "pyvet deps", Version: "v1.2.3", Inventory: inv},
		"deps-tree": {Kind: KindDeps, Tool: "pyvet deps", Version: "v1.2.3", Inventory: resolvedFixture()},
		"version":   {Kind: KindVersion, Tool: "pyvet version", Version: "v1.2.3", Meta: map[string]string{"go": "go1.26.0", "platform": "linux/amd64"}},
		"pypi-info": {Kind: KindPackageInfo, Tool: "pyvet pypi info", Version: "v1.2.3", Package: &PackageInfo{Name: "Demo", Version: "1.0", License: "MIT", LicenseClass: "permissive", LicenseSource: "License", Releases: 3, Yanked: []string{"0.9.0"}, PopularityRank: 12}},
		"db-status": {Kind: KindDBStatus, Tool: "pyvet db status", Version: "v1.2.3", Database: statusAt(meta, now)},
		"sbom":      {Kind: KindSBOM, Tool: "pyvet sbom", Version: "v1.2.3", Files: []File{{Path: "bom.json", Format: "cyclonedx-json", Packages: 8, Vulnerabilities: 1}}, Notes: []string{"requirements.txt:9: unsupported option"}},
		"verify-hashes": {Kind: KindVerify, Tool: "pyvet verify hashes", Version: "v1.2.3", Failed: true, Verifications: []Verification{{Hashes: &verify.HashesReport{
			Results: []verify.HashResult{{File: "demo-1.0.tar.gz", Package: "demo", Version: "1.0", Status: "mismatch", Detail: "sha256 differs"}}}}}},
		"verify-env":      {Kind: KindVerify, Tool: "pyvet verify env", Version: "v1.2.3", Failed: true, Verifications: []Verification{{Env: env}}, Findings: env.Findings()},
		"verify-artifact": {Kind: KindVerify, Tool: "pyvet verify artifact", Version: "v1.2.3", Verifications: []Verification{{Result: verifiedArtifact(now)}}},
		"verify-failed": {Kind: KindVerify, Tool: "pyvet verify artifact", Version: "v1.2.3", Failed: true, Verifications: []Verification{{Result: &verify.Result{
			Command: verify.CommandArtifact, Subject: verify.Subject{Artifact: "demo-1.0.tar.gz", Digest: "sha256:" + strings.Repeat("ab", 32)},
			Status: sigstore.StatusFailed, Failure: sigstore.FailIdentity, Reason: "certificate identity https://github.com/x/y does not match the policy"}}}},
		"fix": {Kind: KindFix, Tool: "pyvet fix", Version: "v1.2.3", Failed: true, Remedy: fixRemedy(), Findings: []finding.Finding{{Risk: finding.RiskVulnerability,
			Rule: "vuln", ID: "PYSEC-2099-2", Package: "jinja2", Version: "2.10", Title: "sandbox escape", Ignored: true, IgnoreReason: "not reachable", Severity: finding.SeverityHigh}}},
		"db-update": {Kind: KindDBStatus, Tool: "pyvet db update", Version: "v1.2.3", Database: statusAt(meta, now),
			Meta: map[string]string{"update": "updated", "downloaded_bytes": "12582912", "popularity_list": "/cache/pyvet/top-pypi-packages.json"}},
		"pypi-popularity": {Kind: KindPopularity, Tool: "pyvet pypi popularity", Version: "v1.2.3", Meta: map[string]string{"updated": "2026-07-01 06:34:06"},
			Files: []File{{Path: "/cache/pyvet/top-pypi-packages.json", Format: "popularity", Packages: 15000}}},
		"policy": {Kind: KindPolicy, Tool: "pyvet policy show", Version: "v1.2.3", Policy: []policy.Entry{
			{Key: "fail-on", Value: `"medium"`, Origin: "pyvet.toml:1"},
			{Key: "checks.unmaintained.enabled", Value: "true", Default: "true", Origin: "default", Doc: "no release for a long time (risk 5)"},
			{Key: "checks.unmaintained.after", Value: `"21d"`, Default: `"730d"`, Origin: "pyvet.toml:3", Doc: "how long without a release"}}},
	}
}

// verifiedArtifact is a verified `verify artifact` result with its evidence.
func verifiedArtifact(now time.Time) *verify.Result {
	checks := []string{"certificate chains to a Fulcio CA of the embedded Sigstore production trusted root", "signer identity matches the policy"}
	return &verify.Result{Command: verify.CommandArtifact, Subject: verify.Subject{Artifact: "demo-1.0.tar.gz", Digest: "sha256:" + strings.Repeat("ab", 32)},
		Status: sigstore.StatusVerified, Evidence: verify.Evidence{Identity: "release@example.org", Issuer: "https://accounts.example.org", SignedAt: now,
			BundleVersion: "v0.3", RootSource: "embedded Sigstore production trusted root", LogIndexes: []int64{153454663}, Checks: checks},
		Sigstore: &sigstore.Result{Status: sigstore.StatusVerified, BundleVersion: "v0.3", SAN: "release@example.org", Issuer: "https://accounts.example.org",
			SignedAt: now, Evidence: checks, RootSource: "embedded Sigstore production trusted root", LogIndexes: []int64{153454663}}}
}

// fixRemedy is a dry run of `pyvet fix` that upgrades one pin.
func fixRemedy() *Remedy {
	loc := []inventory.Location{{File: "requirements.txt", Line: 2}}
	return &Remedy{DryRun: true, Result: &remedy.Result{
		Plan: &remedy.Plan{Fixes: []remedy.Fix{{Name: "requests", From: []string{"2.19.0"}, To: "2.20.1", Advisories: []string{"PYSEC-2018-28"},
			Targets: []remedy.Target{{From: "2.19.0", To: "2.20.1", Advisories: []string{"PYSEC-2018-28"}, Locations: loc}}}}},
		Edits:       []remedy.Edit{{File: "requirements.txt", Line: 2, Name: "requests", Old: "==2.19.0", New: "==2.20.1"}},
		FixVersions: []remedy.FixVersion{{Name: "requests", OldVersion: "2.19.0", NewVersion: "2.20.1"}}},
		Diffs: []FileDiff{{Path: "requirements.txt", Format: "requirements",
			Diff: "--- requirements.txt\n+++ requirements.txt\n@@ -1,2 +1,2 @@\n # app\n-requests==2.19.0\n+requests==2.20.1\n"}}}
}

// TestGoldenKinds records every other command's run in every format and
// replays its JSON document into every format, byte for byte.
func TestGoldenKinds(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile("../../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, res := range kindRuns(t) {
		outs := map[string][]byte{}
		for _, format := range Formats() {
			var b bytes.Buffer
			if err := Write(&b, format, res, Options{}); err != nil {
				t.Fatalf("%s %s: %v", name, format, err)
			}
			outs[format] = b.Bytes()
			checkGolden(t, filepath.Join("testdata", "golden", name+"."+goldenExt(format)), b.Bytes())
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(outs["json"]))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: JSON document does not match docs/report.schema.json: %v", name, err)
		}
		back, err := ReadJSON(bytes.NewReader(outs["json"]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for format, want := range outs {
			var b bytes.Buffer
			if err := Write(&b, format, back, Options{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s converted to %s differs:\n%s", name, format, firstDiff(b.Bytes(), want))
			}
		}
	}
}
