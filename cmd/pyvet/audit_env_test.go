package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// writeFiles writes name → content under dir.
func writeEnvFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeDist is the METADATA of an installed distribution.
func fakeDist(name, version string) string {
	return "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"
}

// envTestDB is fixtureDB made absolute before the tests change directory.
var envTestDB string

// auditEnvNames runs audit -f json with args and returns the audited
// dependencies (name==version, sorted), stderr and the exit status.
func auditEnvNames(t *testing.T, args ...string) ([]string, string, int) {
	t.Helper()
	args = append([]string{"--cache-dir", t.TempDir(), "audit", "--db", envTestDB, "-f", "json"}, args...)
	out, errs, code := runPyvet(t, args...)
	if code == 2 {
		return nil, errs, code
	}
	var rep struct {
		Dependencies []struct{ Name, Version string } `json:"dependencies"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit %v: %v (stderr %q)", args, err, errs)
	}
	var got []string
	for _, d := range rep.Dependencies {
		got = append(got, d.Name+"=="+d.Version)
	}
	sort.Strings(got)
	return got, errs, code
}

// TestAuditActiveEnvironment: with no PATH in a directory without
// dependency files audit reads VIRTUAL_ENV, else the site-packages a
// python3 on PATH reports (-l leaving out its user site); a directory with
// a requirements file is audited as before; --path reads a directory of
// installed distributions; no environment is exit 2.
func TestAuditActiveEnvironment(t *testing.T) {
	var err error
	if envTestDB, err = filepath.Abs(fixtureDB); err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.EvalSymlinks(t.TempDir())
	abs := func(p string) string { return filepath.Join(root, p) }
	writeEnvFiles(t, root, map[string]string{
		"venv/pyvenv.cfg": "home = /usr/bin\ninclude-system-site-packages = false\n",
		"venv/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA": fakeDist("six", "1.16.0"),
		"sys/lib/python3.12/site-packages/idna-3.7.dist-info/METADATA":    fakeDist("idna", "3.7"),
		"user/site-packages/certifi-2024.2.2.dist-info/METADATA":          fakeDist("certifi", "2024.2.2"),
		"proj/requirements.txt": "urllib3==1.26.5\n",
		"empty/.keep":           "",
		"bin/python3": "#!/bin/sh\nprintf '%s' '{\"prefix\": \"" + abs("sys") + "\", \"base_prefix\": \"" + abs("sys") + "\", \"purelib\": \"" + abs("sys/lib/python3.12/site-packages") +
			"\", \"platlib\": \"\", \"site\": [], \"user_site\": \"" + abs("user/site-packages") + "\", \"user_enabled\": true}'\n",
		"hang/python3":    "#!/bin/sh\nexec /bin/sleep 20\n",
		"garbage/python3": "#!/bin/sh\necho 'Python 2.7 says hello'\n",
	})
	t.Chdir(abs("empty"))

	t.Setenv("PATH", abs("nothing"))
	t.Setenv("VIRTUAL_ENV", abs("venv"))
	got, errs, code := auditEnvNames(t)
	if strings.Join(got, ",") != "six==1.16.0" || !strings.Contains(errs, "audited the active environment "+abs("venv")+" (VIRTUAL_ENV)") {
		t.Errorf("VIRTUAL_ENV: exit %d, %v, stderr %q", code, got, errs)
	}

	t.Setenv("VIRTUAL_ENV", abs("missing"))
	if _, errs, code := auditEnvNames(t); code != 2 || !strings.Contains(errs, "VIRTUAL_ENV") {
		t.Errorf("missing VIRTUAL_ENV: exit %d, stderr %q", code, errs)
	}

	t.Setenv("VIRTUAL_ENV", "")
	if _, errs, code := auditEnvNames(t); code != 2 || !strings.Contains(errs, "no python3 on PATH") {
		t.Errorf("no python3: exit %d, stderr %q", code, errs)
	}

	t.Setenv("PATH", abs("bin"))
	got, errs, code = auditEnvNames(t)
	if strings.Join(got, ",") != "certifi==2024.2.2,idna==3.7" || !strings.Contains(errs, "python3 on PATH") {
		t.Errorf("python3 on PATH: exit %d, %v, stderr %q", code, got, errs)
	}
	if got, errs, _ := auditEnvNames(t, "-l"); strings.Join(got, ",") != "idna==3.7" {
		t.Errorf("-l: %v, stderr %q", got, errs)
	}

	if got, errs, _ := auditEnvNames(t, "--path", abs("venv")); strings.Join(got, ",") != "six==1.16.0" {
		t.Errorf("--path: %v, stderr %q", got, errs)
	}

	t.Chdir(abs("proj"))
	if got, errs, _ := auditEnvNames(t, "--no-deps"); strings.Join(got, ",") != "urllib3==1.26.5" || strings.Contains(errs, "active environment") {
		t.Errorf("a directory with requirements.txt: %v, stderr %q", got, errs)
	}
	t.Chdir(abs("empty"))

	t.Setenv("PATH", abs("garbage"))
	if _, errs, code := auditEnvNames(t); code != 2 || !strings.Contains(errs, "did not print its site-packages") {
		t.Errorf("garbage python3: exit %d, stderr %q", code, errs)
	}

	t.Setenv("PATH", abs("hang"))
	start := time.Now()
	_, errs, code = auditEnvNames(t)
	if code != 2 || !strings.Contains(errs, "did not answer within") || time.Since(start) > 15*time.Second {
		t.Errorf("hanging python3: exit %d after %v, stderr %q", code, time.Since(start), errs)
	}
}
