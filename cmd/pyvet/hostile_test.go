package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// hostileProject writes a project with a requirements file holding body and
// a secret file beside the project.
func hostileProject(t *testing.T, body string) (dir, req string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "proj")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		filepath.Join(root, "secret.txt"):      "SECRET_TOKEN_VALUE==1.0\n",
		filepath.Join(dir, "pyproject.toml"):   "[project]\nname = \"p\"\nversion = \"1\"\n",
		filepath.Join(dir, "requirements.txt"): body,
	} {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, filepath.Join(dir, "requirements.txt")
}

func TestHostileIncludeRefusedByEveryCommand(t *testing.T) {
	cache := t.TempDir()
	for _, include := range []string{"-r /proc/self/environ", "-r /etc/passwd", "-c ../secret.txt", "--requirement=/dev/zero"} {
		_, req := hostileProject(t, "six==1.16.0\n"+include+"\n")
		for _, cmd := range [][]string{
			{"audit", "--no-deps", "--db", fixtureDB, "-f", "json", "-r", req},
			{"deps", "--format", "json", req},
			{"sbom", req},
			{"fix", "--dry-run", "--db", fixtureDB, req},
		} {
			args := append([]string{"--cache-dir", cache, "-q"}, cmd...)
			out, errs, code := runPyvet(t, args...)
			if code != 2 || !strings.Contains(errs, req+":2: refusing to include") {
				t.Errorf("%s %q: exit %d, stderr %q", cmd[0], include, code, errs)
			}
			for _, leak := range []string{"SECRET_TOKEN_VALUE", "root:", "PATH="} {
				if strings.Contains(out+errs, leak) {
					t.Errorf("%s %q: output holds %q", cmd[0], include, leak)
				}
			}
		}
	}
}

func TestHostileAllowOutsideIncludes(t *testing.T) {
	_, req := hostileProject(t, "-r ../secret.txt\n")
	out, errs, code := runPyvet(t, "deps", "--format", "json", "--allow-outside-includes", req)
	if code != 0 || !strings.Contains(out, "secret-token-value") {
		t.Errorf("deps --allow-outside-includes: exit %d, stderr %q", code, errs)
	}
	cache := t.TempDir()
	_, errs, code = runPyvet(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "--db", fixtureDB, "--allow-outside-includes", "-r", req)
	if code != 0 {
		t.Errorf("audit --allow-outside-includes: exit %d, stderr %q", code, errs)
	}
}

func TestHostileRequirementsNonRegularExit2(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "requirements-fifo.txt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	inner := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(inner, []byte("six==1.16.0\n-r requirements-fifo.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for _, c := range []struct{ path, want string }{
		{fifo, fifo},
		{inner, inner + ":2: cannot read included file"},
		{"/dev/zero", "/dev/zero"},
	} {
		_, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", c.path)
		if code != 2 || !strings.Contains(errs, c.want) || len(errs) > 400 {
			t.Errorf("audit -r %s: exit %d, stderr %q", c.path, code, errs)
		}
		_, errs, code = runPyvet(t, "deps", c.path)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("deps %s: exit %d, stderr %q", c.path, code, errs)
		}
	}
}

func TestHostileMissingIncludeExit2(t *testing.T) {
	_, req := hostileProject(t, "six==1.16.0\n-r missing.txt\n")
	_, errs, code := runPyvet(t, "deps", req)
	if code != 2 || !strings.Contains(errs, req+`:2: included file "missing.txt" not found`) {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestHostileIncludeCycleExit2(t *testing.T) {
	dir, req := hostileProject(t, "-r base.txt\n")
	if err := os.WriteFile(filepath.Join(dir, "base.txt"), []byte("six==1.16.0\n-r requirements.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := runPyvet(t, "deps", req)
	if code != 2 || !strings.Contains(errs, filepath.Join(dir, "base.txt")+":2: include cycle") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestHostileBOMRequirementsAudited(t *testing.T) {
	_, req := hostileProject(t, "\ufeffFoo_Bar==1.0.0\n")
	cache := t.TempDir()
	out, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "--db", fixtureDB, "-f", "json", "-r", req)
	if code != 1 || !strings.Contains(out, "foo-bar") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
