package pep508

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The vectors in testdata/vectors are generated from Python's packaging by
// scripts/pep440-vectors/gen.py (see its README). Zero disagreements.

// vectorsDir is testdata/vectors, or $PEP508_VECTORS to replay vectors generated
// elsewhere (for example with another seed).
func vectorsDir() string {
	if dir := os.Getenv("PEP508_VECTORS"); dir != "" {
		return dir
	}
	return filepath.Join("testdata", "vectors")
}

func loadVectors(t *testing.T, name string, into any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorsDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type vectorEnv struct {
	Platform string `json:"platform"`
	Python   string `json:"python"`
	Extra    string `json:"extra"`
	Env      Env    `json:"env"`
}

func TestVectorsMarkers(t *testing.T) {
	var file struct {
		Envs  []vectorEnv
		Cases []struct {
			In    string `json:"in"`
			Valid bool   `json:"valid"`
			Str   string `json:"str"`
			Eval  string `json:"eval"`
		}
	}
	loadVectors(t, "markers.json", &file)
	envs := make([]Env, len(file.Envs))
	for i, e := range file.Envs {
		env := DefaultEnv(e.Python, e.Platform)
		if !maps.Equal(env, e.Env) {
			t.Errorf("DefaultEnv(%q, %q) = %v, vectors were evaluated in %v", e.Python, e.Platform, env, e.Env)
		}
		env["extra"] = e.Extra
		envs[i] = env
	}
	bad, evals := 0, 0
	for _, c := range file.Cases {
		m, err := ParseMarker(c.In)
		if (err == nil) != c.Valid {
			bad++
			t.Errorf("ParseMarker(%q): err=%v, packaging valid=%v", c.In, err, c.Valid)
			continue
		}
		if !c.Valid {
			continue
		}
		if got := m.String(); got != c.Str {
			bad++
			t.Errorf("ParseMarker(%q).String() = %q, packaging %q", c.In, got, c.Str)
		}
		// MarshalText always parses back to the same marker.
		var back Marker
		text, _ := m.MarshalText()
		if err := back.UnmarshalText(text); err != nil {
			bad++
			t.Errorf("ParseMarker(%q): MarshalText %q does not parse back: %v", c.In, text, err)
			continue
		}
		if again, _ := back.MarshalText(); string(again) != string(text) {
			bad++
			t.Errorf("ParseMarker(%q): MarshalText %q parses back as %q", c.In, text, again)
		}
		for i, env := range envs {
			evals++
			ok, err := m.EvaluateErr(env)
			got := byte('f')
			switch {
			case err != nil:
				got = 'e'
			case ok:
				got = 't'
			}
			if got != c.Eval[i] {
				bad++
				t.Errorf("ParseMarker(%q).Evaluate(%s/%s extra=%q) = %c (%v), packaging %c",
					c.In, file.Envs[i].Platform, file.Envs[i].Python, file.Envs[i].Extra, got, err, c.Eval[i])
			}
			if m.Evaluate(env) != (got == 't') {
				t.Errorf("Evaluate and EvaluateErr disagree on %q", c.In)
			}
			if ok2, err2 := back.EvaluateErr(env); ok2 != ok || (err2 == nil) != (err == nil) {
				bad++
				t.Errorf("ParseMarker(%q) after a MarshalText round trip evaluates to %v (%v), before %v (%v)", c.In, ok2, err2, ok, err)
			}
		}
	}
	t.Logf("%d markers, %d evaluations, %d disagreements", len(file.Cases), evals, bad)
}

func TestVectorsRequirements(t *testing.T) {
	var file struct {
		Cases []struct {
			In        string   `json:"in"`
			Valid     bool     `json:"valid"`
			Name      string   `json:"name"`
			Extras    []string `json:"extras"`
			Specifier string   `json:"specifier"`
			URL       string   `json:"url"`
			Marker    string   `json:"marker"`
			Str       string   `json:"str"`
		}
	}
	loadVectors(t, "requirements.json", &file)
	bad := 0
	for _, c := range file.Cases {
		r, err := ParseRequirement(c.In)
		if (err == nil) != c.Valid {
			bad++
			t.Errorf("ParseRequirement(%q): err=%v, packaging valid=%v", c.In, err, c.Valid)
			continue
		}
		if !c.Valid {
			continue
		}
		check := func(what string, got, want any) {
			if got != want {
				bad++
				t.Errorf("ParseRequirement(%q).%s = %q, packaging %q", c.In, what, got, want)
			}
		}
		check("Name", r.Name, c.Name)
		if !slices.Equal(r.Extras, c.Extras) && len(r.Extras)+len(c.Extras) > 0 {
			bad++
			t.Errorf("ParseRequirement(%q).Extras = %q, packaging %q", c.In, r.Extras, c.Extras)
		}
		check("Specifier", r.Specifier.String(), c.Specifier)
		check("URL", r.URL, c.URL)
		check("Marker", r.Marker.String(), c.Marker)
		check("String()", r.String(), c.Str)
		var back Requirement
		text, _ := r.MarshalText()
		if err := back.UnmarshalText(text); err != nil {
			bad++
			t.Errorf("ParseRequirement(%q): MarshalText %q does not parse back: %v", c.In, text, err)
			continue
		}
		again, _ := back.MarshalText()
		check("MarshalText round trip", string(again), string(text))
		check("Name after a MarshalText round trip", back.Name, r.Name)
		check("Extras after a MarshalText round trip", strings.Join(back.Extras, ","), strings.Join(r.Extras, ","))
		check("Specifier after a MarshalText round trip", back.Specifier.String(), r.Specifier.String())
		check("URL after a MarshalText round trip", back.URL, r.URL)
	}
	t.Logf("%d requirements, %d disagreements", len(file.Cases), bad)
}
