package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// projectPkg returns the package named name of inv, failing when absent.
func projectPkg(t *testing.T, inv *Inventory, name string) *Package {
	t.Helper()
	for _, p := range inv.Packages {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no package %s in %v", name, inv.Packages)
	return nil
}

// TestProjectItselfIsMarked: a package installed from the project's own
// directory, or locked under the project's own name, is the project (not
// direct, never audited); a requirement pinned to an index release of that
// name, and other local packages, are not.
func TestProjectItselfIsMarked(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"pyproject.toml":             "[project]\nname = \"My_App\"\nversion = \"1.0\"\ndependencies = [\"requests\"]\n",
		"requirements.txt":           "-e .\n./libs/helper\nrequests==2.31.0\n",
		"requirements/dev.txt":       "-e ..\nmy-app==0.9\n",
		"libs/helper/pyproject.toml": "[project]\nname = \"helper\"\n",
		"Pipfile.lock":               `{"_meta": {}, "default": {"my-app": {"path": ".", "editable": true}, "six": {"version": "==1.16.0"}}}`,
		"pdm.lock": "[metadata]\nlock_version = \"4.4\"\n[[package]]\nname = \"my-app\"\nversion = \"1.0\"\npath = \".\"\n" +
			"[[package]]\nname = \"idna\"\nversion = \"3.6\"\n",
		"poetry.lock": "[[package]]\nname = \"my-app\"\nversion = \"1.0\"\n[[package]]\nname = \"certifi\"\nversion = \"2024.2.2\"\n[metadata]\nlock-version = \"2.0\"\n",
	})
	inv, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var project, other []string
	for _, p := range inv.Packages {
		if p.Project {
			project = append(project, p.Name+" "+p.Version)
			if p.Direct {
				t.Errorf("the project %s %s is marked direct", p.Name, p.Version)
			}
		} else {
			other = append(other, p.Name+" "+p.Version)
		}
	}
	// my-app from -e ., -e .., the Pipfile.lock and pdm.lock paths and the
	// poetry.lock entry of the project's name.
	if len(project) == 0 || strings.Contains(strings.Join(other, ","), "my-app 1.0") || strings.Contains(strings.Join(other, ","), "my-app ,") {
		t.Errorf("project = %v, others = %v", project, other)
	}
	// The index pin my-app==0.9 of requirements/dev.txt is a release, not the checkout.
	if !strings.Contains(strings.Join(other, ","), "my-app 0.9") {
		t.Errorf("my-app==0.9 was taken for the project: others = %v", other)
	}
	if projectPkg(t, inv, "helper").Project || projectPkg(t, inv, "six").Project {
		t.Error("a local or index dependency was taken for the project")
	}
}

// TestSkipEditable: Options.SkipEditable leaves out editable and
// local-path packages, with one warning naming them.
func TestSkipEditable(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"requirements.txt": "-e ./a\n./b\n-e git+https://example.com/c.git#egg=c\nrequests==2.31.0\n",
		"a/pyproject.toml": "[project]\nname = \"a\"\n",
		"b/pyproject.toml": "[project]\nname = \"b\"\n",
	})
	req := filepath.Join(dir, "requirements.txt")
	all, err := Load([]string{req}, Options{})
	if err != nil || len(all.Packages) != 4 {
		t.Fatalf("without the option: %v, %v", err, all)
	}
	for _, p := range all.Packages {
		if p.Local() != (p.Name != "requests") {
			t.Errorf("%s: Local() = %v", p.Name, p.Local())
		}
	}
	inv, err := Load([]string{req}, Options{SkipEditable: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Name != "requests" {
		t.Errorf("packages = %v, want requests only", inv.Packages)
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "skipped 3 editable or local-path packages: a, b, c") {
		t.Errorf("warnings = %q", inv.Warnings)
	}
}

// TestLocalProjectNameStaysInside: naming a local project reads its
// pyproject.toml only inside the project; outside it the name comes from
// the path, with a warning.
func TestLocalProjectNameStaysInside(t *testing.T) {
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"pyproject.toml": "[project]\nname = \"leaked-name\"\n"})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"pyproject.toml": "[project]\nname = \"x\"\n", "requirements.txt": "-e " + outside + "\n"})
	req := filepath.Join(dir, "requirements.txt")
	inv, err := Load([]string{req}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Packages[0].Name == "leaked-name" {
		t.Error("the pyproject.toml outside the project was read")
	}
	inv, err = Load([]string{req}, Options{AllowOutsideIncludes: true})
	if err != nil || inv.Packages[0].Name != "leaked-name" {
		t.Errorf("allowed: %v %v", err, inv.Packages)
	}
}

// TestCondaPipIncludes: the pip: section of an environment.yml follows -r
// includes with the same rules as a requirements file.
func TestCondaPipIncludes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"environment.yml":  "dependencies:\n  - python=3.12\n  - pip:\n    - -r requirements.txt\n    - -r missing.txt\n",
		"requirements.txt": "six==1.16.0\n",
	})
	_, err := Load([]string{filepath.Join(dir, "environment.yml")}, Options{})
	wantErr(t, err, filepath.Join(dir, "environment.yml")+":5: ", "missing.txt", "not found")
	writeFiles(t, dir, map[string]string{"environment.yml": "dependencies:\n  - pip:\n    - -r requirements.txt\n    - -r /etc/passwd\n"})
	_, err = Load([]string{filepath.Join(dir, "environment.yml")}, Options{})
	wantErr(t, err, filepath.Join(dir, "environment.yml")+":4: ", "refusing to include")
	if data, _ := os.ReadFile("/etc/passwd"); len(data) > 0 && err != nil && strings.Contains(err.Error(), "root:") {
		t.Error("the error quotes /etc/passwd")
	}
}

// TestNotARequirementsFileIsNotEchoed: a file of secrets read as a
// requirements file (its lines look like paths) is an error quoting an
// excerpt of its first line, never packages named after its lines.
func TestNotARequirementsFileIsNotEchoed(t *testing.T) {
	dir := t.TempDir()
	secret := "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/" + strings.Repeat("S", 200) + "/TAILSECRET"
	writeFiles(t, dir, map[string]string{
		"passwd.txt": "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
		"env.txt":    secret + "\n",
	})
	_, err := Load([]string{filepath.Join(dir, "passwd.txt")}, Options{})
	wantErr(t, err, filepath.Join(dir, "passwd.txt")+":1: ", "not a requirement, a URL or an existing path")
	if strings.Contains(err.Error(), "daemon") {
		t.Errorf("the error quotes a second line: %v", err)
	}
	_, err = Load([]string{filepath.Join(dir, "env.txt")}, Options{})
	wantErr(t, err, filepath.Join(dir, "env.txt")+":1: ")
	if strings.Contains(err.Error(), "TAILSECRET") || strings.Contains(err.Error(), strings.Repeat("S", 81)) {
		t.Errorf("the error quotes more than an excerpt: %v", err)
	}
}
