package all

import (
	"testing"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/policy"
)

// Every risk pyvet reports is declared by a check, and together they cover
// the ten OWASP OSS risks.
func TestRiskOWASPNumbers(t *testing.T) {
	seen := map[int]bool{}
	for _, r := range []finding.Risk{finding.RiskVulnerability, finding.RiskMalicious, finding.RiskCompromise, finding.RiskNameConfusion, finding.RiskUnmaintained,
		finding.RiskOutdated, finding.RiskUntracked, finding.RiskLicense, finding.RiskImmature, finding.RiskUnpinned, finding.RiskSize} {
		n := r.OWASPNumber()
		if n < 1 || n > 10 {
			t.Errorf("%s: OWASP number %d", r, n)
		}
		ri, ok := finding.LookupRisk(r)
		if !ok || ri.OWASP != n || ri.Title == "" || ri.Doc == "" {
			t.Errorf("%s: declaration %+v, %v", r, ri, ok)
		}
		if s, ok := policy.LookupSpec(string(r)); !ok || s.Doc != ri.Doc {
			t.Errorf("%s: policy check %+v, %v", r, s, ok)
		}
		seen[n] = true
	}
	if len(seen) != 10 {
		t.Errorf("risks cover %d of the 10 OWASP numbers", len(seen))
	}
	if finding.Risk("other").OWASPNumber() != 0 {
		t.Error("unknown risk has a number")
	}
	if got := len(finding.RiskInfos()); got != 11 {
		t.Errorf("%d risks declared, want 11", got)
	}
}

// The run order is the list's: the advisory match first, the
// name-confusion checks after health.
func TestOrderAndModes(t *testing.T) {
	var names []string
	modes := map[string]check.Mode{}
	for _, c := range Registry().Checks() {
		i := c.Info()
		names = append(names, i.Name)
		modes[i.Name] = i.Mode
	}
	want := []string{"vulnerability", "cooldown", "unapproved-change", "health", "typosquat", "dependency-confusion", "license", "size", "attestations"}
	if len(names) != len(want) {
		t.Fatalf("checks %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("checks %v, want %v", names, want)
		}
	}
	if modes["vulnerability"] != check.Always || modes["cooldown"] != check.Always || modes["attestations"] != check.WithAttestations || modes["size"] != check.WithAll {
		t.Errorf("modes %v", modes)
	}
	cs := Registry().Checks()
	if _, ok := cs[len(cs)-1].(check.Required); !ok {
		t.Error("the attestation check does not say when the policy requires it")
	}
}

// Every policy check (but the verifier's compromise rules, which
// `--attestations` selects) is governed by a check that --all runs: a run of
// --all marks exactly those as run.
func TestAllGovernsEveryPolicyCheck(t *testing.T) {
	governed := map[string]check.Mode{}
	for _, c := range Registry().Checks() {
		for _, n := range c.Info().PolicyNames() {
			if _, ok := policy.LookupSpec(n); !ok {
				t.Errorf("%s names an undeclared policy check %q", c.Info().Name, n)
			}
			if _, dup := governed[n]; !dup || c.Info().Mode == check.WithAll {
				governed[n] = c.Info().Mode
			}
		}
	}
	for _, s := range policy.Specs() {
		m, ok := governed[s.Name]
		if !ok {
			t.Errorf("policy check %s is governed by no check", s.Name)
			continue
		}
		if s.Name == string(finding.RiskCompromise) {
			if m != check.WithAttestations {
				t.Errorf("compromise: mode %v", m)
			}
		} else if m != check.WithAll && m != check.Always {
			t.Errorf("%s: mode %v", s.Name, m)
		}
	}
}
