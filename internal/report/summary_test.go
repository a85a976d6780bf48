package report

import (
	"bytes"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
)

func TestSummaryLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  func() *Result
		want string
	}{
		{"empty", func() *Result { return &Result{} }, "No known vulnerabilities; the run passes"},
		{"clean", func() *Result {
			res := manyAdvisories("/x")
			res.Findings, res.Failed = nil, false
			return res
		}, "No known vulnerabilities in 3 packages; nothing at or above high, the run passes"},
		{"gate", func() *Result { return manyAdvisories("/x") },
			"2 of 3 packages affected by 4 known vulnerabilities (1 critical, 1 high, 1 medium, 1 low; 3 fixable); 2 findings at or above high fail the run"},
		{"other risks and ignored", func() *Result { return fixture(t) },
			"1 of 8 packages affected by 1 known vulnerability (1 high; 1 fixable), 3 other findings; the run fails; 1 ignored"},
		{"no inventory, gate passes", func() *Result {
			res := manyAdvisories("/x")
			res.Inventory, res.Failed, res.Meta["fail_on"] = nil, false, "malicious"
			res.Findings = res.Findings[2:3]
			return res
		}, "1 package affected by 1 known vulnerability (1 low; 0 fixable); nothing at or above malicious, the run passes"},
		{"malicious", func() *Result {
			res := manyAdvisories("/x")
			res.Findings = []finding.Finding{{Risk: finding.RiskMalicious, Rule: "vuln", ID: "MAL-1", Package: "evil", Version: "1.0", Severity: finding.SeverityMalicious}}
			return res
		}, "No known vulnerabilities in 3 packages, 1 malicious package; 1 finding at or above high fails the run"},
		{"the same advisory twice", func() *Result {
			res := manyAdvisories("/x")
			res.Findings = append(res.Findings, res.Findings[0])
			return res
		}, "2 of 3 packages affected by 4 known vulnerabilities (1 critical, 1 high, 1 medium, 1 low; 3 fixable); 3 findings at or above high fail the run"},
		{"a gate of another kind", func() *Result {
			res := treeRun()
			res.Meta = map[string]string{"fail_on": "per project (low, high)"}
			return res
		}, "2 of 2 packages affected by 2 known vulnerabilities (1 high, 1 medium; 2 fixable); the run fails; 1 ignored"},
	} {
		if got := SummaryLine(tc.res()); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// NewSummary writes, from the stream of a run, exactly SummaryLine of the
// whole run; other kinds of runs write nothing.
func TestSummaryHandler(t *testing.T) {
	for _, res := range []*Result{manyAdvisories("/x"), fixture(t), treeRun(), {}} {
		var b bytes.Buffer
		if err := Emit(NewSummary(&b), res); err != nil {
			t.Fatal(err)
		}
		if want := SummaryLine(res) + "\n"; b.String() != want {
			t.Errorf("handler wrote %q, want %q", b.String(), want)
		}
	}
	// Sent one by one (copies kept) or at once (the slice kept): the same line.
	res := manyAdvisories("/x")
	var one, all bytes.Buffer
	h := NewSummary(&one)
	h.Config(&Config{Meta: res.Meta})
	h.Inventory(res.Inventory)
	for i := range res.Findings {
		h.Finding(&res.Findings[i])
	}
	h.Summary(&Gate{Failed: res.Failed})
	h.Flush()
	if _, ok := NewSummary(&all).(FindingsHandler); !ok {
		t.Fatal("the summary does not take the findings at once")
	}
	if err := Emit(NewSummary(&all), res); err != nil || one.String() != all.String() || one.String() != SummaryLine(res)+"\n" {
		t.Errorf("one by one %q, at once %q (%v)", one.String(), all.String(), err)
	}
	var b bytes.Buffer
	if err := Emit(NewSummary(&b), &Result{Kind: KindDeps, Inventory: manyAdvisories("/x").Inventory}); err != nil || b.Len() != 0 {
		t.Errorf("deps run: %q (%v)", b.String(), err)
	}
}
