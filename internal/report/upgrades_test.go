package report

import (
	"reflect"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
)

func vuln(pkg, version, id string, sev finding.Severity, fix ...string) finding.Finding {
	return finding.Finding{Risk: finding.RiskVulnerability, Rule: "vuln", Package: pkg, Version: version, ID: id, Severity: sev, Fix: fix, Exact: true}
}

func TestTopUpgrades(t *testing.T) {
	fs := []finding.Finding{
		// django 3.2.0: the 3.2 series fixes apply, not the later ones; the
		// upgrade goes to the highest of them.
		vuln("django", "3.2.0", "GHSA-b", finding.SeverityMedium, "3.2.5", "4.0.2"),
		vuln("django", "3.2.0", "GHSA-a", finding.SeverityHigh, "3.2.19", "4.1.9", "4.2.1"),
		vuln("django", "3.2.0", "GHSA-c", finding.SeverityLow, "3.2.10"),
		vuln("django", "3.2.0", "GHSA-a", finding.SeverityHigh, "3.2.19"), // the same advisory twice
		// A fix below the audited version does not apply, nor does its
		// branch (1.9.1 is not a fix of PYSEC-1, which affects 1.9); 1.10
		// is above 1.9 (PEP 440, not string order).
		vuln("urllib3", "1.9", "PYSEC-1", finding.SeverityCritical, "1.8", "1.10"),
		vuln("urllib3", "1.9", "PYSEC-2", finding.SeverityMedium, "1.9.1"),
		// No fix: nothing cleared, no upgrade.
		vuln("pyyaml", "5.1", "PYSEC-3", finding.SeverityCritical),
		// Only fixes at or below the audited version: nothing cleared.
		vuln("jinja2", "3.1.4", "PYSEC-4", finding.SeverityHigh, "3.1.4", "2.11.3"),
		// Ignored findings and other risks do not count.
		{Risk: finding.RiskVulnerability, Package: "flask", Version: "1.0", ID: "PYSEC-5", Fix: []string{"2.0"}, Ignored: true},
		{Risk: finding.RiskOutdated, Package: "flask", Version: "1.0", ID: "X", Fix: []string{"2.0"}},
		{Risk: finding.RiskMalicious, Package: "evil", Version: "1.0", ID: "MAL-1", Fix: []string{"2.0"}},
		// Same count and severity as requests: name order.
		vuln("certifi", "2020.1", "PYSEC-6", finding.SeverityHigh, "2022.12.7"),
		vuln("requests", "2.0", "PYSEC-7", finding.SeverityHigh, "2.31.0"),
		// Fixed on two branches: 46.0.6 lies after the 3.3 branch's fix
		// and before the 46.0 branch's, so it is not a fix of PYSEC-10.
		vuln("cryptography", "3.3.1", "PYSEC-10", finding.SeverityMedium, "3.3.2", "46.0.7"),
		vuln("cryptography", "3.3.1", "PYSEC-11", finding.SeverityMedium, "46.0.6"),
		// 2.3.9 is in the branch of PYSEC-12's fix 2.3.8 (above the audited
		// version) and at PYSEC-13's only fix.
		vuln("werkzeug", "2.0.0", "PYSEC-12", finding.SeverityLow, "2.3.8", "3.0.1"),
		vuln("werkzeug", "2.0.0", "PYSEC-13", finding.SeverityLow, "2.3.9"),
		// Unknown ranks as medium, below high.
		vuln("aiohttp", "3.0", "PYSEC-8", finding.SeverityUnknown, "3.9.2"),
		// A specifier: the highest fix of each advisory.
		{Risk: finding.RiskVulnerability, Package: "pillow", Version: ">=8", ID: "PYSEC-9", Severity: finding.SeverityLow, Fix: []string{"9.0.1", "10.0.1"}},
	}
	want := []Upgrade{
		{Package: "django", From: "3.2.0", To: "3.2.19", Clears: []string{"GHSA-a", "GHSA-b", "GHSA-c"}, Severity: finding.SeverityHigh},
		{Package: "urllib3", From: "1.9", To: "1.10", Clears: []string{"PYSEC-1", "PYSEC-2"}, Severity: finding.SeverityCritical},
		{Package: "cryptography", From: "3.3.1", To: "46.0.7", Clears: []string{"PYSEC-10", "PYSEC-11"}, Severity: finding.SeverityMedium},
		{Package: "werkzeug", From: "2.0.0", To: "2.3.9", Clears: []string{"PYSEC-12", "PYSEC-13"}, Severity: finding.SeverityLow},
		{Package: "certifi", From: "2020.1", To: "2022.12.7", Clears: []string{"PYSEC-6"}, Severity: finding.SeverityHigh},
		{Package: "requests", From: "2.0", To: "2.31.0", Clears: []string{"PYSEC-7"}, Severity: finding.SeverityHigh},
		{Package: "aiohttp", From: "3.0", To: "3.9.2", Clears: []string{"PYSEC-8"}, Severity: finding.SeverityUnknown},
		{Package: "pillow", From: ">=8", To: "10.0.1", Clears: []string{"PYSEC-9"}, Severity: finding.SeverityLow},
	}
	if got := TopUpgrades(fs, 0); !reflect.DeepEqual(got, want) {
		t.Errorf("TopUpgrades(all) =\n%+v\nwant\n%+v", got, want)
	}
	if got := TopUpgrades(fs, 3); !reflect.DeepEqual(got, want[:3]) {
		t.Errorf("TopUpgrades(3) =\n%+v\nwant\n%+v", got, want[:3])
	}
	if got := TopUpgrades(fs, 100); len(got) != len(want) {
		t.Errorf("TopUpgrades(100) has %d upgrades, want %d", len(got), len(want))
	}
	if got := TopUpgrades(nil, 5); len(got) != 0 {
		t.Errorf("TopUpgrades(nil) = %v", got)
	}
}

func TestTopUpgradesSeparateVersions(t *testing.T) {
	// Two audited versions of one package (two projects of a tree) are two
	// upgrades, each from its own version.
	fs := []finding.Finding{
		vuln("jinja2", "2.10", "PYSEC-1", finding.SeverityMedium, "2.11.3", "3.1.3"),
		vuln("jinja2", "3.0.0", "PYSEC-1", finding.SeverityMedium, "2.11.3", "3.1.3"),
		vuln("jinja2", "3.0.0", "PYSEC-2", finding.SeverityMedium, "3.1.4"),
	}
	want := []Upgrade{
		{Package: "jinja2", From: "3.0.0", To: "3.1.4", Clears: []string{"PYSEC-1", "PYSEC-2"}, Severity: finding.SeverityMedium},
		{Package: "jinja2", From: "2.10", To: "2.11.3", Clears: []string{"PYSEC-1"}, Severity: finding.SeverityMedium},
	}
	if got := TopUpgrades(fs, 0); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}
