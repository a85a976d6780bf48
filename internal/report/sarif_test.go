package report

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
)

// TestSARIFStreamMatchesLog: the streamed SARIF log of generated runs
// (corpus advisory text with PYVET_CORPUS, fuzzed findings, shuffled) is
// encoding/json's indented output of the whole log value built from the
// run (referenceSARIF).
func TestSARIFStreamMatchesLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	fuzzed := benchRun(t, 300)
	for i := range fuzzed.Findings {
		if i%3 == 0 {
			fuzzed.Findings[i] = fuzzFinding(rng)
		}
	}
	fuzzed.Notes = append(fuzzed.Notes, fuzzText(rng))
	fuzzed.Projects = []ProjectResult{{Path: ".", Summary: Summary{Total: 1, ByRisk: map[string]int{"vulnerability": 1}, BySeverity: map[string]int{}}}}
	shuffled := benchRun(t, 2000)
	rng.Shuffle(len(shuffled.Findings), func(i, j int) {
		shuffled.Findings[i], shuffled.Findings[j] = shuffled.Findings[j], shuffled.Findings[i]
	})
	empty := &Result{Kind: KindVerify, Tool: "pyvet verify env"}
	for name, res := range map[string]*Result{"fuzzed": fuzzed, "shuffled": shuffled, "empty": empty} {
		opts := Options{BaseDir: "/src/app"}
		want, err := json.MarshalIndent(referenceSARIF(res, opts), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		if got := render(t, "sarif", res, opts); got != string(want) {
			t.Errorf("%s: streamed log differs (%d bytes, want %d):\n%s", name, len(got), len(want), firstDiff([]byte(got), want))
		}
	}
}

// referenceSARIF is the SARIF log of res as one value, built the way the
// format built it before it streamed.
func referenceSARIF(res *Result, opts Options) any {
	res = bounded(res)
	rel := newRelPaths(opts.BaseDir)
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "pyvet", Version: res.Version, InformationURI: "https://github.com/pyvet/pyvet", Rules: []sarifRule{}}}, Results: []sarifResult{}}
	ruleIndex := map[string]int{}
	fs := append([]finding.Finding(nil), res.Findings...)
	finding.Sort(fs)
	for i := range fs {
		f := &fs[i]
		if _, ok := ruleIndex[idOrRule(f)]; !ok {
			ruleIndex[idOrRule(f)] = len(run.Tool.Driver.Rules)
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleFor(f))
		}
	}
	labels := newPkgLabels(res.Inventory)
	for i := range fs {
		run.Results = append(run.Results, referenceResult(&fs[i], ruleIndex[idOrRule(&fs[i])], labels, fallbackLocation(res, rel), rel))
	}
	props := map[string]any{}
	if k := res.kind(); k != KindAudit {
		props["kind"] = string(k)
	}
	if len(res.Notes) > 0 {
		props["notes"] = res.Notes
	}
	if len(res.Meta) > 0 {
		props["meta"] = res.Meta
	}
	if len(res.Projects) > 0 {
		props["projects"] = res.Projects
	}
	if len(props) > 0 {
		run.Properties = props
	}
	return sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
}

// referenceResult is the result of the finding f as a value, as the format
// built it before it streamed.
func referenceResult(f *finding.Finding, ruleIndex int, labels *pkgLabels, fallback *sarifLocation, rel *relPaths) sarifResult {
	r := sarifResult{
		RuleID:              idOrRule(f),
		RuleIndex:           ruleIndex,
		Level:               sarifLevel(f.Severity),
		Message:             sarifText{Text: resultMessage(f, labels)},
		PartialFingerprints: map[string]string{"pyvetFinding/v1": fingerprint(f)},
		Properties: map[string]any{
			"risk": string(f.Risk), "severity": f.Severity.String(), "owasp": f.Risk.OWASPNumber(),
			"direct": f.Direct, "exact": f.Exact,
		},
	}
	if f.Package != "" {
		r.Properties["package"] = f.Package
	}
	if f.Version != "" {
		r.Properties["version"] = f.Version
	}
	if len(f.Path) > 0 {
		r.Properties["path"] = f.Path
	}
	if labels.isResolved(f) {
		r.Properties["resolved"] = true
	}
	if f.Project != "" {
		r.Properties["project"] = f.Project
	}
	if len(f.Fix) > 0 {
		r.Properties["fix_versions"] = f.Fix
	}
	if loc := sarifLocationOf(f, rel); loc != nil {
		r.Locations = []sarifLocation{*loc}
	} else if fallback != nil {
		r.Locations = []sarifLocation{*fallback}
	}
	if f.Ignored {
		r.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: f.IgnoreReason}}
	}
	return r
}

// TestSARIFResultMatchesEncodingJSON: the hand-written result is
// encoding/json's indented output of the result value, at any depth, for
// fuzzed findings (every escape class, with and without locations).
func TestSARIFResultMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	rel := newRelPaths("/src")
	labels := newPkgLabels(nil)
	for i := range 3000 {
		f := fuzzFinding(rng)
		var fallback *sarifLocation
		if rng.IntN(2) == 0 {
			fallback = physical("/src/requirements.txt", 1, rel)
		}
		if f.Location != nil && rng.IntN(2) == 0 {
			f.Location.File = "/src/" + f.Location.File
		}
		depth := rng.IntN(5)
		o := &jsonOut{}
		o.sarifResult(depth, &f, i, labels, fallback, rel)
		want, err := json.MarshalIndent(referenceResult(&f, i, labels, fallback, rel), strings.Repeat("  ", depth), "  ")
		if err != nil {
			t.Fatal(err)
		}
		if string(o.b) != string(want) {
			t.Fatalf("result %d differs:\n%s", i, firstDiff(o.b, want))
		}
	}
}
