package finding

import (
	"encoding/json"
	"testing"
)

func TestSeverityNamesRoundTrip(t *testing.T) {
	for s := SeverityUnknown; s <= SeverityMalicious; s++ {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("%v: parsed %v, %v", s, got, err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%s: JSON round trip gave %v, %v", b, back, err)
		}
	}
	if s, err := ParseSeverity(" Moderate "); err != nil || s != SeverityMedium {
		t.Errorf("moderate: %v, %v", s, err)
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("severe: no error")
	}
	var s Severity
	if err := json.Unmarshal([]byte(`"urgent"`), &s); err == nil {
		t.Error("JSON urgent: no error")
	}
}

func TestSeverityFromCVSS(t *testing.T) {
	for score, want := range map[float64]Severity{
		0: SeverityInfo, 0.1: SeverityLow, 3.9: SeverityLow, 4.0: SeverityMedium,
		6.9: SeverityMedium, 7.0: SeverityHigh, 8.9: SeverityHigh, 9.0: SeverityCritical, 10: SeverityCritical,
	} {
		if got := SeverityFromCVSS(score); got != want {
			t.Errorf("%v: got %v, want %v", score, got, want)
		}
	}
}

func TestRiskOWASPNumbers(t *testing.T) {
	seen := map[int]bool{}
	for _, r := range []Risk{RiskVulnerability, RiskMalicious, RiskCompromise, RiskNameConfusion, RiskUnmaintained,
		RiskOutdated, RiskUntracked, RiskLicense, RiskImmature, RiskUnpinned, RiskSize} {
		n := r.OWASPNumber()
		if n < 1 || n > 10 {
			t.Errorf("%s: OWASP number %d", r, n)
		}
		seen[n] = true
	}
	if len(seen) != 10 {
		t.Errorf("risks cover %d of the 10 OWASP numbers", len(seen))
	}
	if Risk("other").OWASPNumber() != 0 {
		t.Error("unknown risk has a number")
	}
}

func TestSortIsDeterministic(t *testing.T) {
	fs := []Finding{
		{Severity: SeverityLow, Package: "b", ID: "X-2"},
		{Severity: SeverityMalicious, Package: "z", ID: "MAL-1"},
		{Severity: SeverityLow, Package: "a", ID: "X-3"},
		{Severity: SeverityLow, Package: "a", ID: "X-1"},
		{Severity: SeverityHigh, Package: "c", ID: "X-9"},
	}
	Sort(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.ID)
	}
	want := []string{"MAL-1", "X-9", "X-1", "X-3", "X-2"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}
