package pep508

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseRequirement(t *testing.T) {
	for _, c := range []struct {
		in, str, name, spec, url, marker string
		extras                           []string
	}{
		{
			in:   `requests [security,socks] (>=2.8.1, ==2.8.*) ; python_version < "2.7"`,
			str:  `requests[security,socks]==2.8.*,>=2.8.1; python_version < "2.7"`,
			name: "requests", spec: "==2.8.*,>=2.8.1", marker: `python_version < "2.7"`, extras: []string{"security", "socks"},
		},
		{
			in:   `Django>=4.2,<5; extra == "Web_Dev"`,
			str:  `Django<5,>=4.2; extra == "web-dev"`,
			name: "Django", spec: "<5,>=4.2", marker: `extra == "web-dev"`,
		},
		{
			in:   `name @ git+https://github.com/o/r.git@v1.0 ; os_name=="posix"`,
			str:  `name@ git+https://github.com/o/r.git@v1.0 ; os_name == "posix"`,
			name: "name", url: "git+https://github.com/o/r.git@v1.0", marker: `os_name == "posix"`,
		},
		{in: "zope.interface", str: "zope.interface", name: "zope.interface"},
	} {
		r, err := ParseRequirement(c.in)
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", c.in, err)
			continue
		}
		if r.String() != c.str || r.Name != c.name || r.Specifier.String() != c.spec || r.URL != c.url ||
			r.Marker.String() != c.marker || !slices.Equal(r.Extras, c.extras) {
			t.Errorf("ParseRequirement(%q) = %q (name %q spec %q url %q marker %q extras %q)",
				c.in, r.String(), r.Name, r.Specifier.String(), r.URL, r.Marker.String(), r.Extras)
		}
	}
	for _, bad := range []string{
		"", "name==1.0abc", "name (>=1.0", "name[a b]", "name @ ./local", "name @ file:/x", "name @ https://[::1/x",
		"name; os_name", "name; os_name == 'a' and", "-name", "name>=1.0.*", "name~=1",
	} {
		if _, err := ParseRequirement(bad); !errors.Is(err, ErrInvalidRequirement) {
			t.Errorf("ParseRequirement(%q) = %v, want ErrInvalidRequirement", bad, err)
		}
	}
	_, err := ParseRequirement("name==1.0abc")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != 4 || !strings.Contains(err.Error(), "semicolon") {
		t.Errorf("error for name==1.0abc = %v", err)
	}
}

func TestMarkerEvaluate(t *testing.T) {
	env := DefaultEnv("3.12", "linux")
	env["extra"] = "Web_Dev"
	for m, want := range map[string]bool{
		`python_version >= "3.8" and sys_platform != "win32"`: true,
		`python_version > "3.12" or os_name == "nt"`:          false,
		`extra == "web-dev"`:                                  true,
		`"linux" in sys_platform`:                             true,
		`python_full_version >= "3.12.0rc1"`:                  true,
		`platform_machine not in "arm64 aarch64"`:             true,
		`python_version == "3.12.*"`:                          true,
		`implementation_name == "cpython" and (platform_system == "Windows" or platform_system == "Linux")`: true,
		`os_name == "nt" or os_name == "posix" and python_version < "3"`:                                    false,
	} {
		parsed, err := ParseMarker(m)
		if err != nil {
			t.Fatalf("ParseMarker(%q): %v", m, err)
		}
		if got := parsed.Evaluate(env); got != want {
			t.Errorf("%s = %v, want %v", m, got, want)
		}
	}
	var nilMarker *Marker
	if !nilMarker.Evaluate(env) || nilMarker.String() != "" {
		t.Error("a nil marker is true and empty")
	}
	// packaging raises here: a version operator with a value that is not a version.
	m, _ := ParseMarker(`os_name >= "3"`)
	if ok, err := m.EvaluateErr(env); ok || err == nil {
		t.Errorf(`os_name >= "3" = %v, %v; want an error`, ok, err)
	}
	if m.Evaluate(env) {
		t.Error("Evaluate must be false where packaging raises")
	}
	delete(env, "os_name")
	m, _ = ParseMarker(`os_name == "posix"`)
	if _, err := m.EvaluateErr(env); err == nil {
		t.Error("a missing variable must be an error")
	}
}

func TestDefaultEnv(t *testing.T) {
	for _, c := range []struct {
		py, plat, short, full, sys, osName, system string
	}{
		{"3.12", "linux", "3.12", "3.12.0", "linux", "posix", "Linux"},
		{"3.11.4", "darwin", "3.11", "3.11.4", "darwin", "posix", "Darwin"},
		{"3.8", "win32", "3.8", "3.8.0", "win32", "nt", "Windows"},
		{"3", "freebsd", "3.0", "3.0.0", "linux", "posix", "Linux"},
	} {
		env := DefaultEnv(c.py, c.plat)
		if env["python_version"] != c.short || env["python_full_version"] != c.full || env["sys_platform"] != c.sys ||
			env["os_name"] != c.osName || env["platform_system"] != c.system || env["implementation_version"] != c.full {
			t.Errorf("DefaultEnv(%q, %q) = %v", c.py, c.plat, env)
		}
		for _, k := range variables {
			k = strings.ReplaceAll(k, ".", "_")
			if k == "python_implementation" {
				continue
			}
			if _, ok := env[k]; !ok {
				t.Errorf("DefaultEnv(%q, %q) lacks %s", c.py, c.plat, k)
			}
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{"Django": "django", "zope.interface": "zope-interface", "a__b-._c": "a-b-c", "ruamel_yaml": "ruamel-yaml"} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]bool{"requests": true, "a": true, "zope.interface": true, "x_.-y": true, "-a": false, "a-": false, "": false, "a b": false, "pkgé": false} {
		if got := ValidName(in); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNestingLimit(t *testing.T) {
	nest := func(d int) string {
		return strings.Repeat("(", d) + `os_name == "a"` + strings.Repeat(")", d)
	}
	if _, err := ParseMarker(nest(493)); err != nil {
		t.Errorf("depth 493: %v", err)
	}
	if _, err := ParseMarker(nest(494)); err == nil {
		t.Error("depth 494 must fail as in packaging")
	}
	if _, err := ParseRequirement("name;" + nest(491)); err != nil {
		t.Errorf("requirement depth 491: %v", err)
	}
	if _, err := ParseRequirement("name;" + nest(492)); err == nil {
		t.Error("requirement depth 492 must fail as in packaging")
	}
	if _, err := ParseMarker(strings.Repeat("(", 1<<20)); err == nil {
		t.Error("a megabyte of parentheses must fail, not exhaust the stack")
	}
}
