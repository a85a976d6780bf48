package inventory

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PYVET_CORPUS")
	if dir == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	return dir
}

// corpusFormat says how a corpus file is read: the osv-scalibr folders name
// the format, everything else is detected as Load would.
func corpusFormat(rel string) Format {
	dir := filepath.Base(filepath.Dir(rel))
	if strings.HasPrefix(rel, "osv-scalibr/") {
		switch dir {
		case "condameta":
			return FormatCondaMeta
		case "pdmlock":
			return FormatPDMLock
		case "pipfilelock":
			return FormatPipfileLock
		case "poetrylock":
			return FormatPoetryLock
		case "pylock":
			return FormatPylock
		case "pyprojecttoml":
			return FormatPyproject
		case "requirements":
			return FormatRequirements
		case "uvlock":
			return FormatUVLock
		case "wheelegg":
			if strings.HasSuffix(rel, ".whl") || strings.HasSuffix(rel, ".egg") {
				return FormatArchive
			}
			return FormatMetadata
		}
	}
	if strings.HasPrefix(rel, "pdm/fixtures/poetry-") {
		return FormatPyproject
	}
	return detectName(rel)
}

// brokenRE matches the corpus's intentionally broken inputs (MANIFEST.md).
var brokenRE = regexp.MustCompile(`(^|/)(invalid|malformed|not-toml|not-json|empty)[^/]*$|incompatible_lock/|invalid_lock/`)

// mustFail are broken inputs that must give an error (the others named like
// broken files may also read as empty, e.g. an empty requirements file).
var mustFail = map[string]bool{
	"osv-scalibr/condameta/invalid":                            true,
	"osv-scalibr/pdmlock/not-toml.txt":                         true,
	"osv-scalibr/pipfilelock/not-json.txt":                     true,
	"osv-scalibr/poetrylock/not-toml.txt":                      true,
	"osv-scalibr/pylock/not-toml.txt":                          true,
	"osv-scalibr/uvlock/not-toml.txt":                          true,
	"osv-scalibr/pyprojecttoml/malformed.toml":                 true,
	"osv-scalibr/requirements/invalid.txt":                     true,
	"osv-scalibr/wheelegg/empty":                               true,
	"osv-scalibr/wheelegg/monotonic_no_pkginfo-1.6-py3.10.egg": true,
	"pip-audit/pylock.invalid.toml":                            true,
	"pip-audit/pylock.invalid-version.toml":                    true,
	"pip-audit/pylock.missing-version.toml":                    true, // no lock-version
	"pip-audit/pylock.package-missing-name.toml":               true,
	"pip/lockfiles/pylock.invalid.toml":                        true,
	"poetry/fixtures/incompatible_lock/poetry.lock":            true,
	"poetry/fixtures/invalid_lock/poetry.lock":                 true,
	// Tests how lenient a reader is with per-requirement options; line 13
	// ("foo7==1.0 unexpected_text_before_options_stays_around") is not a valid
	// requirement and pip rejects the file there too.
	"osv-scalibr/requirements/per_req_options.txt": true,
	// A missing -c include and an include cycle: pip rejects both files too.
	"osv-scalibr/requirements/example.txt":    true,
	"osv-scalibr/requirements/loop.txt":       true,
	"osv-scalibr/requirements/other-loop.txt": true,
	// Local directories that exist only in uv's checkout (./editable,
	// ./test/packages/black_editable): as for pip, a path that does not exist
	// and names no project (#egg=, an archive's file name) is an error.
	"uv/crates/uv-requirements-txt/test-data/requirements-txt/bare-url.txt":  true,
	"uv/crates/uv-requirements-txt/test-data/requirements-txt/editable.txt":  true,
	"uv/crates/uv-requirements-txt/test-data/requirements-txt/hash.txt":      true,
	"uv/crates/uv-requirements-txt/test-data/requirements-txt/semicolon.txt": true,
}

// notDependencyFiles are corpus files that are not inputs pyvet reads.
var notDependencyFiles = map[string]bool{
	"osv-scanner/source/testdata/locks-requirements/osv-scanner.toml": true,
	"uv/test/requirements/.gitignore":                                 true,
	"pip/reqfiles/README.txt":                                         true,
}

func TestCorpusLockfilesParse(t *testing.T) {
	root := filepath.Join(corpusDir(t), "lockfiles")
	parsed, failed := 0, 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(d.Name(), "LICENSE") || strings.HasSuffix(rel, ".md") || notDependencyFiles[rel] {
			return nil
		}
		format := corpusFormat(rel)
		if format == FormatUnknown {
			t.Errorf("%s: format not recognized", rel)
			return nil
		}
		inv, perr := ParseFile(path, format, Options{})
		broken := brokenRE.MatchString(rel) || mustFail[rel]
		switch {
		case perr != nil && !broken:
			t.Errorf("%s: %v", rel, perr)
		case perr == nil && mustFail[rel]:
			t.Errorf("%s: broken input parsed without error (%d packages)", rel, len(inv.Packages))
		case perr != nil:
			failed++
			var pe *ParseError
			// The error names the file at fault: this one or a file it includes.
			if !errors.As(perr, &pe) || pe.File != path && filepath.Dir(pe.File) != filepath.Dir(path) ||
				strings.Contains(perr.Error(), "\n") || !strings.HasPrefix(perr.Error(), pe.File) {
				t.Errorf("%s: error is not a one-line ParseError naming the file: %q", rel, perr)
			}
		default:
			parsed++
			for _, p := range inv.Packages {
				if p.Name == "" || len(p.Locations) == 0 || p.Source.Kind == "" {
					t.Errorf("%s: incomplete package %+v", rel, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files parsed, %d broken inputs rejected", parsed, failed)
	if parsed < 400 {
		t.Errorf("only %d corpus files parsed", parsed)
	}
}

type corpusCount struct {
	file     string
	format   Format
	packages int
	hashes   int // total over packages; -1 = not checked
	direct   int // -1 = not checked
}

func TestCorpusCounts(t *testing.T) {
	root := filepath.Join(corpusDir(t), "lockfiles")
	cases := []corpusCount{
		{"pipenv/Pipfile.lock", FormatPipfileLock, 110, -1, 110},
		{"real/poetry.poetry.lock", FormatPoetryLock, 78, -1, -1},
		{"real/poetry-2022-09-18.poetry.lock", FormatPoetryLock, 84, -1, -1},
		{"warehouse/requirements/main.txt", FormatRequirements, 184, 2089, -1},
		{"pipenv/pylock.toml", FormatPylock, 103, -1, -1},
		{"uv/uv.lock", FormatUVLock, 89, -1, -1},
		{"real/sigstore-python.uv.lock", FormatUVLock, 89, -1, 24},
		{"uv/test/requirements/airflow2-constraints.txt", FormatRequirements, 299, -1, -1},
		{"uv/test/requirements/home-assistant.in", FormatRequirements, 1010, -1, -1},
		{"pdm/fixtures/projects/demo-package/requirements.txt", FormatRequirements, 6, 74, -1},
		{"conda/pandas-dev+pandas/environment.yml", FormatCondaEnv, 98, -1, 98},
	}
	uvEcosystem := map[string]int{
		"transformers": 392, "warehouse": 343, "semantic-kernel": 323, "zulip": 301, "sentry": 268,
		"pyx-workspace": 226, "jupyterlab": 214, "pyx-external": 177, "saleor": 173, "pandas": 129, "llm": 102,
		"cookiecutter": 101, "home-assistant-core": 98, "flask": 83, "black": 69, "cibuildwheel": 62,
		"openai-python": 58, "poetry": 54, "packse": 48, "github-wikidata-bot": 34, "httpx": 28, "pytest-cov": 24,
	}
	for name, n := range uvEcosystem {
		cases = append(cases, corpusCount{"uv/test/ecosystem/" + name + "/uv.lock", FormatUVLock, n, -1, -1})
	}
	for _, c := range cases {
		inv, err := ParseFile(filepath.Join(root, c.file), c.format, Options{})
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		hashes, direct := 0, 0
		for _, p := range inv.Packages {
			hashes += len(p.Hashes)
			if p.Direct {
				direct++
			}
		}
		if len(inv.Packages) != c.packages {
			t.Errorf("%s: %d packages, want %d", c.file, len(inv.Packages), c.packages)
		}
		if c.hashes >= 0 && hashes != c.hashes {
			t.Errorf("%s: %d hashes, want %d", c.file, hashes, c.hashes)
		}
		if c.direct >= 0 && direct != c.direct {
			t.Errorf("%s: %d direct, want %d", c.file, direct, c.direct)
		}
	}
}

// entry checks one package of a corpus file.
func entry(t *testing.T, inv *Inventory, file, name, version string, check func(p *Package) bool) {
	t.Helper()
	for _, p := range inv.Packages {
		if p.Name == name && p.Version == version {
			if check != nil && !check(p) {
				t.Errorf("%s: %s %s = %+v", file, name, version, p)
			}
			return
		}
	}
	t.Errorf("%s: no %s %s in %v", file, name, version, names(inv))
}

func TestCorpusEntries(t *testing.T) {
	root := filepath.Join(corpusDir(t), "lockfiles")
	read := func(rel string, f Format) *Inventory {
		inv, err := ParseFile(filepath.Join(root, rel), f, Options{})
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		return inv
	}
	f := "real/sigstore-python.uv.lock"
	inv := read(f, FormatUVLock)
	entry(t, inv, f, "cryptography", "50.0.0", func(p *Package) bool {
		return p.Direct && p.Locations[0].Line == 495 && len(p.Files) == 46 && strings.Join(p.Parents, ",") == "rfc3161-client,sigstore"
	})
	entry(t, inv, f, "sigstore", "", func(p *Package) bool { return p.Project && p.Source.Editable })

	f = "real/poetry.poetry.lock"
	inv = read(f, FormatPoetryLock)
	entry(t, inv, f, "dulwich", "1.2.1", func(p *Package) bool {
		return p.Locations[0].Line == 614 && len(p.Hashes) == 42 && strings.Join(p.Groups, ",") == "main,test"
	})

	f = "real/poetry-2022-09-18.poetry.lock"
	inv = read(f, FormatPoetryLock)
	for _, p := range inv.Packages {
		if len(p.Hashes) == 0 {
			t.Errorf("%s: %s has no hashes from [metadata.files]", f, p.Name)
		}
	}

	f = "osv-scalibr/poetrylock/source-git.lock"
	inv = read(f, FormatPoetryLock)
	entry(t, inv, f, "ike", "0.2.0", func(p *Package) bool {
		return p.Source.Kind == SourceVCS && p.Source.Ref == "main" && p.Source.Commit == "cd66602cd29f61a2d2e7fb995fef1e61708c034d"
	})

	f = "osv-scalibr/uvlock/source-git.lock"
	inv = read(f, FormatUVLock)
	entry(t, inv, f, "ruff", "0.8.1", func(p *Package) bool {
		return p.Direct && p.Source.Kind == SourceVCS && p.Source.URL == "https://github.com/astral-sh/ruff" && p.Source.Commit == "84748be16341b76e073d117329f7f5f4ee2941ad"
	})

	f = "uv/test/ecosystem/pyx-workspace/uv.lock"
	inv = read(f, FormatUVLock)
	projects := 0
	for _, p := range inv.Packages {
		if p.Project {
			projects++
		}
	}
	if projects != 38 { // pyx-ecosystem and pyx-member-01..37
		t.Errorf("%s: %d workspace members, want 38", f, projects)
	}
	entry(t, inv, f, "deptry", "0.25.1", func(p *Package) bool { return p.Direct && strings.Contains(strings.Join(p.Groups, ","), "dev") })

	f = "pipenv/Pipfile.lock"
	inv = read(f, FormatPipfileLock)
	dev := 0
	for _, p := range inv.Packages {
		if len(p.Groups) == 1 && p.Groups[0] == "dev" {
			dev++
		}
	}
	if dev != 100 {
		t.Errorf("%s: %d develop entries, want 100", f, dev)
	}

	f = "pipenv/pylock.toml"
	inv = read(f, FormatPylock)
	entry(t, inv, f, "pytz", "2026.1.post1", func(p *Package) bool {
		return len(p.Hashes) == 2 && p.Index == "https://pypi.org/simple/" && p.Locations[0].Line == 9
	})

	f = "osv-scalibr/pylock/commits.toml"
	inv = read(f, FormatPylock)
	entry(t, inv, f, "mleroc", "0.1.0", func(p *Package) bool {
		return p.Source.Kind == SourceVCS && p.Source.Commit == "735093f03c4d8be70bfaaae44074ac92d7419b6d"
	})
	entry(t, inv, f, "net-inf-eval", "", func(p *Package) bool { return p.Project && p.Source.Editable })

	f = "pdm/fixtures/projects/demo/pdm.lock"
	inv = read(f, FormatPDMLock)
	entry(t, inv, f, "certifi", "2025.1.31", func(p *Package) bool {
		return len(p.Files) == 2 && strings.Join(p.Groups, ",") == "security" && p.Locations[0].Line == 14
	})

	f = "warehouse/requirements/main.txt"
	inv = read(f, FormatRequirements)
	direct, withParents := 0, 0
	for _, p := range inv.Packages {
		if p.Direct {
			direct++
		}
		if len(p.Parents) > 0 {
			withParents++
		}
	}
	if direct == 0 || withParents == 0 || direct == len(inv.Packages) {
		t.Errorf("%s: via annotations not used: %d direct, %d with parents", f, direct, withParents)
	}

	f = "osv-scalibr/requirements/example.txt"
	inv, err := ParseFile(filepath.Join(root, f), FormatRequirements, Options{NoIncludes: true})
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	entry(t, inv, f, "urllib3", "", func(p *Package) bool { return p.Source.Kind == SourceURL })
	entry(t, inv, f, "numpy", "1.9.2", func(p *Package) bool { return p.Source.Kind == SourcePath })
	if _, err := ParseFile(filepath.Join(root, f), FormatRequirements, Options{}); err == nil ||
		!strings.HasPrefix(err.Error(), filepath.Join(root, f)+":22: ") || !strings.Contains(err.Error(), `"constraints.txt" not found`) {
		t.Errorf("%s: missing include not an error at line 22: %v", f, err)
	}

	f = "osv-scalibr/requirements/loop.txt"
	if _, err := ParseFile(filepath.Join(root, f), FormatRequirements, Options{}); err == nil || !strings.Contains(err.Error(), "include cycle") {
		t.Errorf("%s: include cycle not an error: %v", f, err)
	}

	f = "osv-scalibr/condameta/valid"
	inv = read(f, FormatCondaMeta)
	entry(t, inv, f, "jupyterlab", "3.1.12", func(p *Package) bool {
		return p.Source.Kind == SourceConda && strings.Contains(strings.Join(p.Requires, ","), "tornado")
	})

	f = "osv-scalibr/wheelegg/repeated_pkginfo"
	inv = read(f, FormatMetadata)
	entry(t, inv, f, "root", "1.0.0", nil)
}

func TestCorpusInstalled(t *testing.T) {
	root := filepath.Join(corpusDir(t), "installed")
	inv, err := Load([]string{filepath.Join(root, "from-wheels", "site-packages")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 19 {
		t.Errorf("from-wheels: %d packages, want 19", len(inv.Packages))
	}
	entry(t, inv, "from-wheels", "typing-extensions", "4.4.0", func(p *Package) bool {
		return !p.Direct && strings.Join(p.Parents, ",") == "importlib-metadata" && len(p.Record) > 0
	})
	inv, err = Load([]string{filepath.Join(root, "poetry", "lib", "python3.7", "site-packages")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 13 { // 12 *.dist-info and the foo egg
		t.Errorf("poetry site-packages: %d packages, want 13", len(inv.Packages))
	}
	entry(t, inv, "poetry", "foo", "0.1.0", func(p *Package) bool { return strings.HasSuffix(p.MetadataDir, ".egg") })
	entry(t, inv, "poetry", "git-pep-610", "1.2.3", func(p *Package) bool {
		return p.Source.Kind == SourceVCS && p.Source.Commit != "" && p.Source.URL == "https://github.com/demo/git-pep-610.git"
	})
	entry(t, inv, "poetry", "editable-directory-pep-610", "1.2.3", func(p *Package) bool {
		return p.Source.Kind == SourcePath && p.Source.Editable
	})
	entry(t, inv, "poetry", "file-pep-610", "1.2.3", func(p *Package) bool { return len(p.Hashes) == 1 })
	inv, err = Load([]string{filepath.Join(root, "poetry", "src", "pendulum", "pendulum.egg-info")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 1 || len(inv.Packages[0].Requires) == 0 {
		t.Errorf("pendulum.egg-info = %v", names(inv))
	}
}

func TestCorpusWheels(t *testing.T) {
	root := filepath.Join(corpusDir(t), "wheels")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), "LICENSE") {
			return err
		}
		inv, err := ParseFile(path, FormatUnknown, Options{})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		n++
		p := inv.Packages[0]
		name, version, _ := DistFilename(path)
		if p.Name != newPackage(name).Name || p.Version != version || len(p.Hashes) != 1 {
			t.Errorf("%s: read %s %s", path, p.Name, p.Version)
		}
		if strings.HasSuffix(path, ".whl") && len(p.Record) == 0 {
			t.Errorf("%s: no RECORD", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 25 {
		t.Errorf("%d archives read, want 25", n)
	}
}
