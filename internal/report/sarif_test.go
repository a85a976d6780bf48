package report

import (
	"encoding/json"
	"math/rand/v2"
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
		run.Results = append(run.Results, sarifResultFor(&fs[i], ruleIndex[idOrRule(&fs[i])], labels, fallbackLocation(res, rel), rel))
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
