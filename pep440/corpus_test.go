package pep440

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

type osvAdvisory struct {
	Affected []struct {
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
}

type interval struct {
	lo, hi      string
	inclusiveHi bool
}

// TestCorpusOSVRanges checks, for every advisory of the OSV PyPI export in
// the corpus, that each listed affected version lies inside one of the
// entry's ECOSYSTEM ranges. The numbers must equal those packaging 23.0
// gives for the same logic (scripts/pep440-vectors/corpus_check.py):
// listed=588814 invalid=158 inside=588377 outside=279 bad_bounds=5.
func TestCorpusOSVRanges(t *testing.T) {
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	zr, err := zip.OpenReader(filepath.Join(root, "advisories", "pypi-osv-2026-07-23.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	listed, invalid, inside, outside := 0, 0, 0, 0
	badBounds := map[interval]bool{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		var adv osvAdvisory
		if err := json.Unmarshal(data, &adv); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for _, a := range adv.Affected {
			var ivs []interval
			for _, r := range a.Ranges {
				if r.Type != "ECOSYSTEM" {
					continue
				}
				cur, open := "", false
				for _, e := range r.Events {
					if v, ok := e["introduced"]; ok {
						cur, open = v, true
					} else if v, ok := e["fixed"]; ok {
						ivs = append(ivs, interval{cur, v, false})
						cur, open = "", false
					} else if v, ok := e["last_affected"]; ok {
						ivs = append(ivs, interval{cur, v, true})
						cur, open = "", false
					}
				}
				if open {
					ivs = append(ivs, interval{cur, "", false})
				}
			}
			for _, vs := range a.Versions {
				listed++
				v, err := Parse(vs)
				if err != nil {
					invalid++
					continue
				}
				found := false
				for _, iv := range ivs {
					var lo, hi Version
					var errLo, errHi error
					if iv.lo != "" && iv.lo != "0" {
						lo, errLo = Parse(iv.lo)
					}
					if iv.hi != "" {
						hi, errHi = Parse(iv.hi)
					}
					if errLo != nil || errHi != nil {
						badBounds[iv] = true
						continue
					}
					if lo.IsValid() && v.Compare(lo) < 0 {
						continue
					}
					if hi.IsValid() && (iv.inclusiveHi && v.Compare(hi) > 0 || !iv.inclusiveHi && v.Compare(hi) >= 0) {
						continue
					}
					found = true
					break
				}
				if found {
					inside++
				} else {
					outside++
				}
			}
		}
	}
	t.Logf("listed=%d invalid=%d inside=%d outside=%d bad_bounds=%d", listed, invalid, inside, outside, len(badBounds))
	want := [5]int{588814, 158, 588377, 279, 5}
	if got := [5]int{listed, invalid, inside, outside, len(badBounds)}; got != want {
		t.Errorf("got %v, packaging gives %v", got, want)
	}
}
