package attest

import (
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/verify"
)

func TestEnforceRequired(t *testing.T) {
	fs := []finding.Finding{
		{Risk: finding.RiskCompromise, Rule: "attestation-missing", Package: "req", Severity: finding.SeverityInfo},
		{Risk: finding.RiskCompromise, Rule: "attestation-missing", Package: "free", Severity: finding.SeverityInfo},
	}
	results := []verify.AttestationResult{
		{Package: "off", Version: "1.0", Status: "unchecked", Detail: "offline"},
		{Package: "off", Version: "1.0", Status: "unchecked", Detail: "offline"},
	}
	required := map[string]bool{"req": true, "off": true, "nofiles": false}
	out := enforceRequired(fs, results, required)
	by := map[string][]finding.Finding{}
	for _, f := range out {
		by[f.Package] = append(by[f.Package], f)
	}
	if r := by["req"]; len(r) != 1 || r[0].Severity != finding.SeverityHigh || !strings.HasSuffix(r[0].Detail, "The policy requires this package to be attested.") {
		t.Errorf("required missing attestation not raised: %+v", r)
	}
	if r := by["free"]; len(r) != 1 || r[0].Severity != finding.SeverityInfo {
		t.Errorf("a package the policy does not require was raised: %+v", r)
	}
	if r := by["off"]; len(r) != 1 || r[0].Rule != RuleRequiredUnchecked || r[0].Severity != finding.SeverityHigh || !strings.Contains(r[0].Title, "(offline)") {
		t.Errorf("unchecked required package: %+v", r)
	}
	if r := by["nofiles"]; len(r) != 1 || r[0].Rule != RuleRequiredUnchecked || !strings.Contains(r[0].Title, "no distribution file") {
		t.Errorf("required package without files: %+v", r)
	}
	if len(requiredAttestations(nil, nil)) != 0 {
		t.Error("nothing is required without an inventory")
	}
}
