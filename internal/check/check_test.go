package check

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/policy"
)

type fake struct{ info Info }

func (f fake) Info() Info { return f.info }
func (f fake) Run(context.Context, *Input) (Result, error) {
	return Result{Findings: []finding.Finding{{Rule: f.info.Name}}}, nil
}

func TestRegistryKeepsOrderAndDeclaresRisks(t *testing.T) {
	var r Registry
	r.Register(fake{Info{Name: "second-check", Mode: WithAll, Policy: []string{"second-rule"},
		Risks: []finding.RiskInfo{{Risk: "test-risk-b", OWASP: 4, Title: "Test risk B", Doc: "the second test risk"}}}})
	r.Register(fake{Info{Name: "first-check", Mode: Always,
		Risks: []finding.RiskInfo{{Risk: "test-risk-a", OWASP: 3, Title: "Test risk A", Doc: "the first test risk"}}}})
	var names []string
	for _, c := range r.Checks() {
		names = append(names, c.Info().Name)
	}
	if strings.Join(names, " ") != "second-check first-check" {
		t.Errorf("order %v, want registration order", names)
	}
	if c, ok := r.Lookup("first-check"); !ok || c.Info().Mode != Always {
		t.Errorf("Lookup(first-check) = %v, %v", c, ok)
	}
	if _, ok := r.Lookup("third-check"); ok {
		t.Error("Lookup found an unregistered check")
	}
	ri, ok := finding.LookupRisk("test-risk-b")
	if !ok || ri.OWASP != 4 || ri.Title != "Test risk B" || finding.Risk("test-risk-b").Title() != "Test risk B" {
		t.Errorf("risk declaration %+v, %v", ri, ok)
	}
	s, ok := policy.LookupSpec("test-risk-a")
	if !ok || s.Doc != "the first test risk" {
		t.Errorf("policy spec of the risk: %+v, %v", s, ok)
	}
	// A registry built again declares the same risks without complaint.
	var again Registry
	again.Register(fake{Info{Name: "first-check", Mode: Always,
		Risks: []finding.RiskInfo{{Risk: "test-risk-a", OWASP: 3, Title: "Test risk A", Doc: "the first test risk"}}}})
}

func TestRegistryRejectsMistakes(t *testing.T) {
	for name, c := range map[string]Check{
		"no name":      fake{Info{Mode: Always}},
		"no mode":      fake{Info{Name: "modeless"}},
		"twice":        fake{Info{Name: "dup", Mode: Always}},
		"risk differs": fake{Info{Name: "other", Mode: Always, Risks: []finding.RiskInfo{{Risk: "test-risk-c", OWASP: 5, Title: "Another title"}}}},
		"bad owasp":    fake{Info{Name: "bad-owasp", Mode: Always, Risks: []finding.RiskInfo{{Risk: "test-risk-d", OWASP: 11, Title: "Eleven"}}}},
	} {
		var r Registry
		r.Register(fake{Info{Name: "dup", Mode: Always, Risks: []finding.RiskInfo{{Risk: "test-risk-c", OWASP: 5, Title: "Test risk C"}}}})
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			r.Register(c)
		}()
	}
}

func TestPolicyNames(t *testing.T) {
	info := Info{Name: "x", Mode: WithAll, Policy: []string{"rule-a", "risk-a", "rule-b"},
		Risks: []finding.RiskInfo{{Risk: "risk-a"}, {Risk: "risk-b"}}}
	if got := strings.Join(info.PolicyNames(), " "); got != "risk-a risk-b rule-a rule-b" {
		t.Errorf("PolicyNames = %q", got)
	}
}

func TestErrorNotesAndClock(t *testing.T) {
	if ErrorNotes(nil) != nil {
		t.Error("no error gives notes")
	}
	n := ErrorNotes(errors.Join(errors.New("health: a: timeout"), errors.New("health: b: timeout")))
	if len(n) != 2 || n[0] != "health: a: timeout" {
		t.Errorf("notes %q", n)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := &Input{Now: func() time.Time { return at }}
	if !in.Clock().Equal(at) {
		t.Error("Clock ignores Now")
	}
	if (&Input{}).Clock().IsZero() {
		t.Error("Clock without Now is zero")
	}
	if Always.String() != "always" || WithAll.String() != "--all" || WithAttestations.String() != "--attestations" || Mode(0).String() != "never" {
		t.Error("mode names")
	}
}
