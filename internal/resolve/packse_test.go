package resolve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"

	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
	"github.com/pyvet/pyvet/pep508"
)

// scenario is one packse scenario (astral-sh/packse, scenarios/**).
type scenario struct {
	Name string `toml:"name" json:"name" yaml:"name"`
	Root struct {
		Requires []string `toml:"requires" json:"requires" yaml:"requires"`
	} `toml:"root" json:"root" yaml:"root"`
	Expected struct {
		Satisfiable bool              `toml:"satisfiable" json:"satisfiable" yaml:"satisfiable"`
		Packages    map[string]string `toml:"packages" json:"packages" yaml:"packages"`
	} `toml:"expected" json:"expected" yaml:"expected"`
	Packages map[string]struct {
		Versions map[string]scenarioVersion `toml:"versions" json:"versions" yaml:"versions"`
	} `toml:"packages" json:"packages" yaml:"packages"`
	Options struct {
		Python               string   `toml:"python" json:"python" yaml:"python"`
		Prereleases          bool     `toml:"prereleases" json:"prereleases" yaml:"prereleases"`
		NoBuild              []string `toml:"no_build" json:"no_build" yaml:"no_build"`
		NoBinary             []string `toml:"no_binary" json:"no_binary" yaml:"no_binary"`
		Universal            bool     `toml:"universal" json:"universal" yaml:"universal"`
		PythonPlatform       string   `toml:"python_platform" json:"python_platform" yaml:"python_platform"`
		RequiredEnvironments []string `toml:"required_environments" json:"required_environments" yaml:"required_environments"`
	} `toml:"resolver_options" json:"resolver_options" yaml:"resolver_options"`
	Environment struct {
		Python string `toml:"python" json:"python" yaml:"python"`
	} `toml:"environment" json:"environment" yaml:"environment"`
}

type scenarioVersion struct {
	Requires       []string            `toml:"requires" json:"requires" yaml:"requires"`
	RequiresPython string              `toml:"requires_python" json:"requires_python" yaml:"requires_python"`
	Extras         map[string][]string `toml:"extras" json:"extras" yaml:"extras"`
	Yanked         bool                `toml:"yanked" json:"yanked" yaml:"yanked"`
	Sdist          *bool               `toml:"sdist" json:"sdist" yaml:"sdist"`
	Wheel          *bool               `toml:"wheel" json:"wheel" yaml:"wheel"`
	WheelTags      []string            `toml:"wheel_tags" json:"wheel_tags" yaml:"wheel_tags"`
}

// loadScenarios reads every scenario file under dir (TOML, JSON, YAML).
func loadScenarios(t *testing.T, dir string) (map[string]*scenario, map[string]string) {
	t.Helper()
	out := map[string]*scenario{}
	where := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var list []*scenario
		switch filepath.Ext(p) {
		case ".toml":
			var s scenario
			err = toml.Unmarshal(b, &s)
			list = append(list, &s)
		case ".json":
			var s scenario
			err = json.Unmarshal(b, &s)
			list = append(list, &s)
		case ".yaml", ".yml":
			err = yaml.Unmarshal(b, &list)
		default:
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rel, _ := filepath.Rel(dir, p)
		for _, s := range list {
			if _, dup := out[s.Name]; dup {
				return fmt.Errorf("%s: scenario %q repeated", p, s.Name)
			}
			out[s.Name], where[s.Name] = s, rel
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, where
}

// universe turns a scenario's packages into a served index: every version
// has an sdist unless sdist = false, and wheels (py3-none-any unless
// wheel_tags say otherwise) unless wheel = false.
func (s *scenario) universe() map[string]map[string]*served {
	out := map[string]map[string]*served{}
	for name, p := range s.Packages {
		vs := map[string]*served{}
		for v, sv := range p.Versions {
			r := &served{Requires: sv.Requires, RequiresPython: sv.RequiresPython, Extras: sv.Extras, Yanked: sv.Yanked}
			if sv.Sdist == nil || *sv.Sdist {
				r.Files = append(r.Files, sdistName(name, v))
			}
			if sv.Wheel == nil || *sv.Wheel {
				tags := sv.WheelTags
				if len(tags) == 0 {
					tags = []string{"py3-none-any"}
				}
				for _, tag := range tags {
					r.Files = append(r.Files, wheelName(name, v, tag))
				}
			}
			vs[v] = r
		}
		out[name] = vs
	}
	return out
}

// readSkips reads a testdata file of "name: text" lines.
func readSkips(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		name, reason, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("%s: %q: want name: text", file, l)
		}
		out[strings.TrimSpace(name)] = strings.TrimSpace(reason)
	}
	return out
}

// TestPackseScenarios serves each packse scenario from an httptest index
// (PEP 691 JSON, PEP 503 HTML and JSON-API-only indexes in turn) and checks
// the expected outcome of every single-environment scenario, with uv's
// pre-release rule (which the scenarios encode) and with pip's, where the
// answers that differ are listed in testdata/packse-pip.txt.
func TestPackseScenarios(t *testing.T) {
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping the packse scenarios")
	}
	scenarios, where := loadScenarios(t, filepath.Join(root, "resolver", "packse", "scenarios"))
	skips := readSkips(t, "packse-skips.txt")
	pip := readSkips(t, "packse-pip.txt")
	for name := range skips {
		if scenarios[name] == nil {
			t.Errorf("packse-skips.txt names %q, which is not a scenario", name)
		}
	}
	for name := range pip {
		if scenarios[name] == nil {
			t.Errorf("packse-pip.txt names %q, which is not a scenario", name)
		}
	}
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	var passed, universal, skipped int
	for i, name := range names {
		s := scenarios[name]
		if s.Options.Universal || len(s.Options.RequiredEnvironments) > 0 {
			universal++
			if skips[name] != "" {
				t.Errorf("%s is universal (skipped as such); it need not be listed in packse-skips.txt", name)
			}
			continue
		}
		if reason, ok := skips[name]; ok {
			skipped++
			t.Logf("skip %s (%s): %s", name, where[name], reason)
			continue
		}
		t.Run("uv/"+name, func(t *testing.T) {
			runScenario(t, s, where[name], indexMode(i%3), PrereleasesIfNecessaryOrExplicit, "")
		})
		t.Run("pip/"+name, func(t *testing.T) {
			runScenario(t, s, where[name], indexMode((i+1)%3), PrereleasesPip, pip[name])
		})
		passed++
	}
	t.Logf("packse: %d scenarios: %d single-environment run (uv's and pip's pre-release rules; %d answers differ for pip), %d listed in testdata/packse-skips.txt, %d universal (uv's all-environment resolution) not run",
		len(names), passed, len(pip), skipped, universal)
}

// runScenario resolves one scenario and compares with its expected outcome,
// or with want ("a==1 b==2") when set.
func runScenario(t *testing.T, s *scenario, file string, mode indexMode, pre Prereleases, want string) {
	srv := pypitest.New(t, writeIndex(t, s.universe(), mode))
	py := s.Options.Python
	if py == "" {
		py = s.Environment.Python
	}
	if py == "" {
		py = "3.12" // packse's default interpreter
	}
	opts := Options{
		Provider:    NewIndex(pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple"}), nil),
		Env:         pep508.DefaultEnv(py, "linux"),
		Prereleases: pre,
		NoBuild:     s.Options.NoBuild,
		NoBinary:    s.Options.NoBinary,
	}
	if s.Options.Prereleases {
		opts.Prereleases = PrereleasesAllow
	}
	satisfiable := s.Expected.Satisfiable
	expected := map[string]string{}
	for n, v := range s.Expected.Packages {
		expected[pep508.NormalizeName(n)] = v
	}
	if want != "" {
		satisfiable, expected = true, map[string]string{}
		for _, nv := range strings.Fields(want) {
			n, v, _ := strings.Cut(nv, "==")
			expected[n] = v
		}
	}
	g, err := Resolve(context.Background(), reqs(t, s.Root.Requires...), opts)
	var ns *NoSolutionError
	switch {
	case err != nil && !errors.As(err, &ns):
		t.Fatalf("%s (index mode %d): %v", file, mode, err)
	case satisfiable && err != nil:
		t.Fatalf("%s: want a solution, got:\n%s", file, ns.Explanation)
	case !satisfiable && err == nil:
		t.Fatalf("%s: want no solution, got %s", file, solved(g))
	case !satisfiable:
		if ns.Explanation == "" {
			t.Fatalf("%s: no explanation", file)
		}
		return
	}
	if s.Expected.Packages == nil && want == "" {
		return
	}
	got := map[string]string{}
	for _, n := range g.Packages {
		got[n.Name] = n.Version.String()
	}
	if fmt.Sprint(got) != fmt.Sprint(expected) {
		t.Fatalf("%s: got %v, want %v", file, got, expected)
	}
}
