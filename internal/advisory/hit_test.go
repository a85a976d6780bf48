package advisory

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// hitEntry is an advisory with two packages, so a hit must keep to its own.
func hitEntry() *Entry {
	return &Entry{
		ID:        "PYSEC-2099-40",
		Aliases:   []string{"GHSA-xxxx-yyyy-zzzz", "CVE-2099-40"},
		Summary:   "  Remote code execution \n",
		Details:   "\n\tA crafted request runs code.\n\n",
		Published: "2099-01-02T03:04:05Z",
		Modified:  "2099-02-03T04:05:06.5Z",
		Severity:  []Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"}},
		Affected: []Affected{
			{
				Package: Package{Ecosystem: "PyPI", Name: "Foo_Bar"},
				Ranges: []Range{
					{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}, {Fixed: "2.0"}, {Introduced: "3.0"}, {Fixed: "3.0.2"}}},
					// The same fix spelled another way is one fix; GIT
					// ranges fix nothing by version.
					{Type: "ECOSYSTEM", Events: []Event{{Introduced: "1.5"}, {Fixed: "2.0.0"}, {Fixed: " 1.9 "}}},
					{Type: "GIT", Repo: "https://example.com/r", Events: []Event{{Introduced: "0"}, {Fixed: "abc123"}}},
					{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}, {Fixed: "next-release"}}},
				},
				Severity: []Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
			},
			{
				Package: Package{Ecosystem: "PyPI", Name: "other"},
				Ranges:  []Range{{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}, {Fixed: "9.9"}}}},
			},
		},
	}
}

func TestHitOf(t *testing.T) {
	e := hitEntry()
	h := HitOf(e, "foo-bar")
	want := &Hit{
		ID:        "PYSEC-2099-40",
		Aliases:   []string{"GHSA-xxxx-yyyy-zzzz", "CVE-2099-40"},
		Summary:   "Remote code execution",
		Details:   "A crafted request runs code.",
		Published: "2099-01-02T03:04:05Z",
		Modified:  "2099-02-03T04:05:06.5Z",
		// A fix that is not a version is kept, last.
		Fixed: []string{"1.9", "2.0", "3.0.2", "next-release"},
		Rating: Rating{Level: finding.SeverityCritical, Score: 9.8,
			Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Source: "CVSS_V3"},
		Bounds: []string{`range with fixed "next-release" not used (not a version); only the versions list was matched`},
	}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("HitOf =\n%+v\nwant\n%+v", h, want)
	}
	// The other package of the advisory has its own fixes and rating (the
	// advisory's vector only).
	o := HitOf(e, "other")
	if !reflect.DeepEqual(o.Fixed, []string{"9.9"}) || o.Rating.Score != 6.5 || o.Rating.Level != finding.SeverityMedium || o.Bounds != nil {
		t.Errorf("HitOf(other) = %+v", o)
	}
	// A hit does not share the entry's aliases: changing the entry later
	// (a cached entry reused) cannot change a hit already handed out.
	e.Aliases[0] = "changed"
	if h.Aliases[0] != "GHSA-xxxx-yyyy-zzzz" {
		t.Errorf("hit aliases follow the entry: %v", h.Aliases)
	}
}

func TestHitOfWithdrawnMaliciousAndEmpty(t *testing.T) {
	if HitOf(nil, "x") != nil {
		t.Error("HitOf(nil) is not nil")
	}
	w := HitOf(&Entry{ID: "GHSA-1111-2222-3333", Withdrawn: "2099-05-05T00:00:00Z",
		DatabaseSpecific: map[string]any{"severity": "LOW"}}, "p")
	if w.Withdrawn != "2099-05-05T00:00:00Z" || w.Malicious || w.Rating.Level != finding.SeverityLow ||
		w.Rating.Source != "database_specific" || w.Fixed != nil || w.Aliases != nil || w.Summary != "" {
		t.Errorf("withdrawn hit = %+v", w)
	}
	m := HitOf(&Entry{ID: "MAL-2099-7", Severity: []Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}, "evil")
	if !m.Malicious || m.Rating.Level != finding.SeverityMalicious || m.Rating.Source != "malicious" || m.Rating.Score != 0 {
		t.Errorf("malicious hit = %+v", m)
	}
	if got := HitsOf([]*Entry{hitEntry(), {ID: "B"}}, "foo-bar"); len(got) != 2 || got[0].ID != "PYSEC-2099-40" || got[1].ID != "B" {
		t.Errorf("HitsOf = %+v", got)
	}
	if HitsOf(nil, "p") != nil {
		t.Error("HitsOf(nil) is not nil")
	}
}

// rawAdvisory is the part of an OSV document the corpus hit test reads
// itself, apart from Entry's decoding.
type rawAdvisory struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases"`
	Summary   string   `json:"summary"`
	Details   string   `json:"details"`
	Published string   `json:"published"`
	Modified  string   `json:"modified"`
	Withdrawn string   `json:"withdrawn"`
	Severity  []struct {
		Type string `json:"type"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Severity []struct {
			Type string `json:"type"`
		} `json:"severity"`
		Ranges []struct {
			Type   string `json:"type"`
			Events []struct {
				Fixed string `json:"fixed"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
}

// TestCorpusHits checks the hit of every advisory and package of the corpus
// snapshot against the advisory's JSON, read here on its own.
func TestCorpusHits(t *testing.T) {
	db, err := Open(corpusZip(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hits, withdrawn, rated, bounded := 0, 0, 0, 0
	for _, id := range db.IDs() {
		raw, ok := db.Raw(id)
		if !ok {
			t.Fatalf("Raw(%s) failed", id)
		}
		var r rawAdvisory
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		e, ok := db.Get(id)
		if !ok {
			t.Fatalf("Get(%s) failed", id)
		}
		names := map[string]bool{}
		for _, a := range r.Affected {
			names[pep508.NormalizeName(a.Package.Name)] = true
		}
		if r.Withdrawn != "" {
			withdrawn++
		}
		for name := range names {
			h := HitOf(e, name)
			hits++
			if h.ID != r.ID || !slices.Equal(h.Aliases, r.Aliases) || h.Summary != strings.TrimSpace(r.Summary) ||
				h.Details != strings.TrimSpace(r.Details) || h.Published != r.Published || h.Modified != r.Modified ||
				h.Withdrawn != r.Withdrawn || h.Malicious {
				t.Fatalf("%s/%s: hit %+v disagrees with the JSON", id, name, h)
			}
			// Fixed: the package's ECOSYSTEM/SEMVER fixed events, each
			// version once, in PEP 440 order.
			want := map[string]bool{}
			vuln := false
			for _, a := range r.Affected {
				if pep508.NormalizeName(a.Package.Name) != name {
					continue
				}
				for _, s := range a.Severity {
					vuln = vuln || strings.HasPrefix(s.Type, "CVSS_")
				}
				for _, rg := range a.Ranges {
					for _, ev := range rg.Events {
						if f := strings.TrimSpace(ev.Fixed); f != "" && (rg.Type == "ECOSYSTEM" || rg.Type == "SEMVER") {
							want[VersionKey(f)] = true
						}
					}
				}
			}
			got := map[string]bool{}
			for i, f := range h.Fixed {
				got[VersionKey(f)] = true
				if i == 0 {
					continue
				}
				a, ea := pep440.Parse(h.Fixed[i-1])
				b, eb := pep440.Parse(f)
				if ea == nil && eb == nil && a.Compare(b) >= 0 {
					t.Errorf("%s/%s: fixed versions out of order: %v", id, name, h.Fixed)
				}
			}
			if len(got) != len(h.Fixed) || !reflect.DeepEqual(got, want) {
				t.Errorf("%s/%s: fixed %v, want the versions %v", id, name, h.Fixed, want)
			}
			// Rating: a CVSS vector of the advisory or package rates it from
			// a vector, scored within CVSS's range.
			for _, s := range r.Severity {
				vuln = vuln || strings.HasPrefix(s.Type, "CVSS_")
			}
			if vuln {
				rated++
				if !strings.HasPrefix(h.Rating.Source, "CVSS_") || h.Rating.Score < 0 || h.Rating.Score > 10 ||
					h.Rating.Level != finding.SeverityFromCVSS(h.Rating.Score) || h.Rating.Vector == "" {
					t.Errorf("%s/%s: rating %+v of an advisory with a CVSS vector", id, name, h.Rating)
				}
			}
			// Bounds: every range the matcher could not read is noted.
			for _, u := range db.UnreadRanges(name) {
				if u.ID == id && !slices.Contains(h.Bounds, "range with "+u.Bound+" not used (not a version); only the versions list was matched") {
					t.Errorf("%s/%s: unread bound %q not in %v", id, name, u.Bound, h.Bounds)
				}
			}
			if len(h.Bounds) > 0 {
				bounded++
			}
		}
	}
	// Read by hand: tryton's fixes are listed out of order in the advisory.
	e, _ := db.Get("PYSEC-2022-43170")
	h := HitOf(e, "tryton")
	if !slices.Equal(h.Fixed, []string{"5.0.12", "5.0.46", "6.0.5", "6.0.16", "6.2.2", "6.2.6"}) ||
		h.Rating.Score != 6.5 || h.Rating.Level != finding.SeverityMedium || !slices.Equal(h.Aliases, []string{"CVE-2022-26661"}) ||
		!strings.HasPrefix(h.Details, "An XXE issue was discovered in Tryton") || h.Published != "2022-03-10T17:47:00Z" {
		t.Errorf("PYSEC-2022-43170 = %+v", h)
	}
	// Facts of the corpus manifest: 7,080 advisories over 1,532 names (one
	// package each), 269 withdrawn, 4,738 CVSS vectors.
	if hits != 7080 || withdrawn != 269 || rated < 4000 || bounded == 0 {
		t.Errorf("%d hits, %d withdrawn, %d rated by CVSS, %d with bound notes", hits, withdrawn, rated, bounded)
	}
}
