package audit

import (
	"context"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
)

// textCheck reports, for every package, one finding whose description is a
// fresh copy of the same text (as each advisory match decodes its own), and
// notes: one on missing data (Setup) after an ordinary one.
type textCheck struct{}

func (textCheck) Info() check.Info { return check.Info{Name: "text-test", Mode: check.Always} }

func (textCheck) Run(_ context.Context, in *check.Input) (check.Result, error) {
	var r check.Result
	for _, p := range in.Inventory.Packages {
		detail := strings.Repeat(string([]byte("a long description of the advisory, ")), 4)
		r.Findings = append(r.Findings, finding.Finding{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-1", Package: p.Name,
			Version: p.Version, Severity: finding.SeverityHigh, Title: "the advisory's title, long enough to share", Detail: detail})
	}
	r.Notes = []string{"an ordinary note"}
	r.Setup = []string{"the list is not installed: run `pyvet pypi popularity update`"}
	return r, nil
}

// TestRunSharesTextsAndSaysSetupFirst: the findings of one advisory share
// one copy of its description, and notes on missing data come first.
func TestRunSharesTextsAndSaysSetupFirst(t *testing.T) {
	reg := &check.Registry{}
	reg.Register(textCheck{})
	reqs := writeReqs(t, "a==1.0\nb==2.0\nc==3.0\n")
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	res, err := Run(context.Background(), Options{Paths: []string{reqs}, DBPath: fixtureDB, CacheDir: t.TempDir(), Offline: true, NoDeps: true,
		Checks: reg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 3 {
		t.Fatalf("findings: %+v", res.Findings)
	}
	for _, f := range res.Findings[1:] {
		if unsafe.StringData(f.Detail) != unsafe.StringData(res.Findings[0].Detail) || unsafe.StringData(f.Title) != unsafe.StringData(res.Findings[0].Title) {
			t.Errorf("%s: its description is a copy of its own", f.Package)
		}
	}
	if len(res.Notes) < 2 || !strings.HasPrefix(res.Notes[0], "the list is not installed") {
		t.Errorf("notes %q: the setup note is not first", res.Notes)
	}
}
