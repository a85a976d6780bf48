package pep508

import (
	"strings"
	"testing"
)

func FuzzParseRequirement(f *testing.F) {
	for _, s := range []string{
		"requests[socks] >=2.8, <3 ; python_version >= \"3.8\"", "pip@ https://x/y ; os_name=='a'", "name (==1.0)",
		"name[a,b]", "name==1.0abc", "a @ file:///x", "x @ https://[::1/a", "name;extra=='A_b'", "name\n",
	} {
		f.Add(s)
	}
	env := DefaultEnv("3.12", "linux")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRequirement(s)
		if err != nil {
			return
		}
		text, _ := r.MarshalText()
		var rt Requirement
		if err := rt.UnmarshalText(text); err != nil {
			t.Fatalf("ParseRequirement(%q).MarshalText() = %q, which does not parse: %v", s, text, err)
		}
		if again, _ := rt.MarshalText(); string(again) != string(text) {
			t.Fatalf("ParseRequirement(%q).MarshalText() = %q, re-marshalled as %q", s, text, again)
		}
		out := r.String()
		if !roundTrippable(s) {
			return
		}
		r2, err := ParseRequirement(out)
		if err != nil {
			t.Fatalf("ParseRequirement(%q).String() = %q, which does not parse: %v", s, out, err)
		}
		if r2.String() != out {
			t.Fatalf("ParseRequirement(%q) = %q, re-parsed as %q", s, out, r2.String())
		}
		_ = r.Marker.Evaluate(env)
	})
}

func FuzzParseMarker(f *testing.F) {
	for _, s := range []string{
		`python_version >= "3.8" and (sys_platform == 'linux' or extra == "Sec_urity")`, `os_name == 'nt' junk`,
		`'a' in "abc"`, `python_version not in '3.8 3.9'`, `platform.machine=='x86_64'`, `os_name == '\x41\u00e9\N{DASH}'`,
	} {
		f.Add(s)
	}
	envs := []Env{DefaultEnv("3.12", "linux"), DefaultEnv("3.8", "win32"), DefaultEnv("3.13.1", "darwin")}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMarker(s)
		if err != nil {
			return
		}
		// MarshalText parses back, to a fixed point that evaluates the same,
		// whatever the quotes and escapes in s.
		text, _ := m.MarshalText()
		var mt Marker
		if err := mt.UnmarshalText(text); err != nil {
			t.Fatalf("ParseMarker(%q).MarshalText() = %q, which does not parse: %v", s, text, err)
		}
		if again, _ := mt.MarshalText(); string(again) != string(text) {
			t.Fatalf("ParseMarker(%q).MarshalText() = %q, re-marshalled as %q", s, text, again)
		}
		for _, env := range envs {
			a, errA := m.EvaluateErr(env)
			b, errB := mt.EvaluateErr(env)
			if (errA == nil) != (errB == nil) || a != b {
				t.Fatalf("%q and its MarshalText %q evaluate differently", s, text)
			}
		}
		out := m.String()
		if !roundTrippable(s) {
			for _, env := range envs {
				_ = m.Evaluate(env)
			}
			return
		}
		m2, err := ParseMarker(out)
		if err != nil {
			t.Fatalf("ParseMarker(%q).String() = %q, which does not parse: %v", s, out, err)
		}
		if m2.String() != out {
			t.Fatalf("ParseMarker(%q) = %q, re-parsed as %q", s, out, m2.String())
		}
		for _, env := range envs {
			a, errA := m.EvaluateErr(env)
			b, errB := m2.EvaluateErr(env)
			if (errA == nil) != (errB == nil) || a != b {
				t.Fatalf("%q and its String() %q evaluate differently", s, out)
			}
		}
	})
}

// roundTrippable reports whether the string form of what s parses to can be
// parsed back: packaging writes values in double quotes without escaping, so
// a value holding a double quote (only possible with single quotes around
// it, or with a backslash escape) cannot be.
func roundTrippable(s string) bool {
	return !strings.Contains(s, `\`) && !(strings.Contains(s, `"`) && strings.Contains(s, "'"))
}
