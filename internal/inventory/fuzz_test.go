package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzOpts never touches the file system or the process environment.
var fuzzOpts = Options{
	ReadFile:  func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	LookupEnv: func(string) (string, bool) { return "", false },
}

// checkResult fails when a parser returns neither an inventory nor a
// one-line ParseError naming the file.
func checkResult(t *testing.T, file string, inv *Inventory, err error) {
	t.Helper()
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error is not a *ParseError: %T %v", err, err)
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, file) {
			t.Fatalf("error %q is not one line starting with %s", msg, file)
		}
		if len(pe.Msg) > maxMessage+len("…") {
			t.Fatalf("error message of %d bytes", len(pe.Msg))
		}
		return
	}
	if inv == nil {
		t.Fatal("nil inventory without an error")
	}
	for _, p := range inv.Packages {
		if p.Name == "" && p.RawName != "" {
			t.Fatalf("package with a raw name but no name: %+v", p)
		}
	}
}

func seedFiles(f *testing.F, paths ...string) {
	for _, p := range paths {
		if data, err := os.ReadFile(filepath.Join("testdata", p)); err == nil {
			f.Add(data)
		}
	}
}

func fuzzParser(f *testing.F, file string, parse func(string, []byte, Options) (*Inventory, error), seeds []string, files ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	seedFiles(f, files...)
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := parse(file, data, fuzzOpts)
		checkResult(t, file, inv, err)
	})
}

func FuzzRequirements(f *testing.F) {
	fuzzParser(f, "requirements.txt", ParseRequirements, []string{
		"a==1\n", "-r x.txt\n-c y.txt\n", "b[x] >=1 ; python_version < '3' --hash=sha256:00\n",
		"-e git+https://x/y.git@v1#egg=y\n", "https://x/p-1.0.tar.gz\n", "a==1 \\\n --hash sha256:1\n", "--index-url\n",
		"${A}==1\n", "./local[ex]\n", "# via x\n",
		"-r /proc/self/environ\n", "--requirement=/etc/passwd\n", "-c ../../../../secret.txt\n", "-r /dev/zero\n",
		"\ufeffrequests==2.31.0\n", "\ufeff-r x.txt\n", "a==1" + strings.Repeat(" --hash=sha256:00", 200) + "\n",
		strings.Repeat("a==1\n", 500), "pkg @ https://" + strings.Repeat("x", 5000) + " (\n", "\\\n\\\n-r\\\nx\n",
	}, "req/requirements.txt", "req/compiled.txt", "req/bad.txt")
}

// FuzzRequirementIncludes parses a set of requirements files that include
// each other: the input holds the files f0.txt, f1.txt, ... separated by
// "\n===\n". Whatever they hold, parsing ends with an inventory or a
// one-line error, every file is read at most twice (as requirements and as
// constraints), and errors stay short.
func FuzzRequirementIncludes(f *testing.F) {
	f.Add([]byte("-r f1.txt\n-r f1.txt\n===\n-r f2.txt\n-r ./f2.txt\n===\na==1\n"))
	f.Add([]byte("-r f1.txt\n===\n-c f0.txt\n"))
	f.Add([]byte("\ufeff-r f1.txt\n===\n-r missing.txt\n"))
	f.Add([]byte("-r f1.txt\n===\n-r ../f1.txt\n-r /proc/self/environ\n"))
	f.Add([]byte("-r f1.txt\n-c f1.txt\n===\nb==2 --hash=sha256:00 --hash=sha256:00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		files := map[string][]byte{}
		for i, part := range strings.Split(string(data), "\n===\n") {
			files[filepath.Join(dir, fmt.Sprintf("f%d.txt", i))] = []byte(part)
		}
		reads := map[string]int{}
		opts := fuzzOpts
		opts.ReadFile = func(p string) ([]byte, error) {
			p = filepath.Clean(p)
			reads[p]++
			if b, ok := files[p]; ok {
				return b, nil
			}
			return nil, fs.ErrNotExist
		}
		top := filepath.Join(dir, "f0.txt")
		inv, err := ParseRequirements(top, files[top], opts)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || strings.ContainsAny(err.Error(), "\n\r") || !strings.HasPrefix(err.Error(), pe.File) {
				t.Fatalf("error %q is not a one-line ParseError naming its file", err)
			}
			if len(err.Error()) > 400+len(dir) {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
		} else if inv == nil {
			t.Fatal("nil inventory without an error")
		}
		for p, n := range reads {
			if n > 2 {
				t.Fatalf("%s read %d times", p, n)
			}
		}
	})
}

func FuzzPyproject(f *testing.F) {
	fuzzParser(f, "pyproject.toml", ParsePyproject, []string{
		"[project]\ndependencies=['a>=1']\n", "[dependency-groups]\na=[{include-group='a'}]\n",
		string(groupChain(6, 2)), "[dependency-groups]\nA_b=['x']\nc=[{include-group='a-B'},{include-group='A.b'}]\n",
		"[project]\nname='p'\ndependencies=['p[x]', \"q\\u0041>=1\"]\n[project.optional-dependencies]\nx=['r']\n",
		"[tool.poetry.dependencies]\nx='^1.2'\ny={git='u',tag='t'}\nz=[{version='1'},{path='p'}]\n",
	}, "project/pyproject.toml")
}

func FuzzUVLock(f *testing.F) {
	fuzzParser(f, "uv.lock", ParseUVLock, []string{"version = 1\n[[package]]\nname='a'\nversion='1'\nsource={git='https://x?tag=v#c'}\n"}, "project/uv.lock")
}

func FuzzPoetryLock(f *testing.F) {
	fuzzParser(f, "poetry.lock", ParsePoetryLock, []string{
		"[[package]]\nname='a'\nversion='1'\n[package.dependencies]\nb='*'\n[metadata]\nlock-version='2.0'\n[metadata.files]\na=[{file='x',hash='sha256:1'}]\n",
	})
}

func FuzzPDMLock(f *testing.F) {
	fuzzParser(f, "pdm.lock", ParsePDMLock, []string{"[metadata]\nlock_version='4.5.0'\n[[package]]\nname='a'\nversion='1'\ndependencies=['b>=1']\n"})
}

func FuzzPylock(f *testing.F) {
	fuzzParser(f, "pylock.toml", ParsePylock, []string{
		"lock-version='1.0'\n[[packages]]\nname='a'\nversion='1'\nwheels=[{name='a-1-py3-none-any.whl',hashes={sha256='00'}}]\n",
		"lock-version='1.0'\npackages=[{name='b',directory={path='.'}}]\n",
	})
}

func FuzzPipfileLock(f *testing.F) {
	fuzzParser(f, "Pipfile.lock", ParsePipfileLock, []string{
		`{"_meta":{"sources":[{"name":"p","url":"u"}]},"default":{"a":{"version":"==1","hashes":["sha256:1"],"index":"p"}},"develop":{}}`,
		`{"default":{"a":{"git":"u","ref":"r"}}}`, `[]`,
		`{"default":{"a":{"version":"==1"},"a":{"version":"==2","hashes":["x","x"]}}} {}`,
		`{"_meta":{"sources":null},"default":null,"develop":{"b":{"path":".","editable":true}}}`,
		string(pipfileLockArrays(20)),
	})
}

func FuzzPipfile(f *testing.F) {
	fuzzParser(f, "Pipfile", ParsePipfile, []string{
		"[[source]]\nurl='https://pypi.org/simple'\n[packages]\na='*'\nb={version='==1',extras=['x']}\n[dev-packages]\nc={git='u'}\n",
	})
}

func FuzzCondaEnv(f *testing.F) {
	fuzzParser(f, "environment.yml", ParseCondaEnv, []string{
		"dependencies:\n  - python=3.11\n  - numpy>=1\n  - pip:\n    - a==1\n", "dependencies: 3\n", "- a\n",
	})
}

func FuzzCondaMeta(f *testing.F) {
	fuzzParser(f, "conda-meta.json", ParseCondaMeta, []string{`{"name":"a","version":"1","depends":["b >=1"],"sha256":"00"}`, `{}`})
}

func FuzzSetupCfg(f *testing.F) {
	fuzzParser(f, "setup.cfg", ParseSetupCfg, []string{"[options]\ninstall_requires =\n    a>=1\n[options.extras_require]\nx = b\n"})
}

func FuzzMetadata(f *testing.F) {
	fuzzParser(f, "METADATA", parseMetadataFile, []string{"Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: b; extra == 'x'\n\nbody\n"},
		"installed/site-packages/alpha-1.0.dist-info/METADATA")
}

func FuzzRecord(f *testing.F) {
	f.Add([]byte("a.py,sha256=x,1\nb,,\n\"q,\"\"\",,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ParseRecord("RECORD", data)
		checkResult(t, "RECORD", &Inventory{}, err)
	})
}

func FuzzArchive(f *testing.F) {
	f.Add([]byte("PK\x03\x04"), true)
	f.Add(buildWheel(f, "Name: a\nVersion: 1\n"), true)
	f.Add(buildSdist(f, "Name: a\nVersion: 1\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, wheel bool) {
		name := "a-1.tar.gz"
		if wheel {
			name = "a-1-py3-none-any.whl"
		}
		inv, err := ParseArchive(name, data, fuzzOpts)
		checkResult(t, name, inv, err)
	})
}

func FuzzPoetryConstraint(f *testing.F) {
	for _, s := range []string{"^1.2.3", "~0", ">= 1, <2", "1.*", "^", "~=1||2", "v1.0a1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := PoetryConstraint(s)
		if err == nil && strings.ContainsAny(out, " ^|") {
			t.Fatalf("PoetryConstraint(%q) = %q is not PEP 440 text", s, out)
		}
	})
}

func FuzzDirectURL(f *testing.F) {
	seedFiles(f, "installed/site-packages/beta-2.0.dist-info/direct_url.json")
	f.Add([]byte(`{"url": "file:///x", "dir_info": {"editable": true}}`))
	f.Add([]byte(`{"url": "https://x/a-1.tar.gz", "archive_info": {"hash": "sha256=00", "hashes": {"sha256": "00"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := newPackage("x")
		err := directURL("direct_url.json", data, p)
		checkResult(t, "direct_url.json", &Inventory{}, err)
		if err == nil && p.Source.Kind == "" {
			t.Fatalf("source kind lost: %+v", p.Source)
		}
	})
}
