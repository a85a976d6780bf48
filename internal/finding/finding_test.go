package finding

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
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

// TestRiskRegistry: a risk's OWASP number, title and place in the order
// come from its declaration (the checks declare theirs; internal/check/all's
// tests hold that the ten numbers are covered); an undeclared risk has none,
// and a conflicting second declaration panics.
func TestRiskRegistry(t *testing.T) {
	b := RiskInfo{Risk: "test-risk-b", OWASP: 7, Title: "Test risk B"}
	a := RiskInfo{Risk: "test-risk-a", OWASP: 7, Title: "Test risk A"}
	first := RiskInfo{Risk: "test-risk-z", OWASP: 1, Title: "Test risk Z"}
	RegisterRisk(b)
	RegisterRisk(a)
	RegisterRisk(first)
	RegisterRisk(a) // the same declaration again is fine
	if n := Risk("test-risk-a").OWASPNumber(); n != 7 {
		t.Errorf("OWASP number %d, want 7", n)
	}
	if got := Risk("test-risk-b").Title(); got != "Test risk B" {
		t.Errorf("title %q", got)
	}
	if Risk("other").OWASPNumber() != 0 || Risk("other").Title() != "other" {
		t.Error("an undeclared risk has a number or a title")
	}
	var order []Risk
	for _, r := range Risks() {
		if strings.HasPrefix(string(r), "test-risk-") {
			order = append(order, r)
		}
	}
	if want := []Risk{"test-risk-z", "test-risk-b", "test-risk-a"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v (OWASP number, then declaration)", order, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("a conflicting declaration did not panic")
		}
	}()
	RegisterRisk(RiskInfo{Risk: "test-risk-a", OWASP: 8, Title: "Other"})
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

// TestSortStable: Sort gives the order of a stable sort by Less, equal
// findings keeping their order, for random runs with many ties.
func TestSortStable(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 200 {
		fs := make([]Finding, rng.IntN(300))
		for i := range fs {
			fs[i] = Finding{Severity: Severity(rng.IntN(7)), Risk: []Risk{RiskVulnerability, RiskLicense}[rng.IntN(2)],
				Package: string(rune('a' + rng.IntN(4))), ID: string(rune('A' + rng.IntN(3))), Action: strconv.Itoa(i)}
		}
		want := slices.Clone(fs)
		sort.SliceStable(want, func(i, j int) bool { return Less(&want[i], &want[j]) })
		Sort(fs)
		for i := range fs {
			if fs[i].Action != want[i].Action {
				t.Fatalf("position %d holds finding %s, want %s", i, fs[i].Action, want[i].Action)
			}
		}
	}
}
