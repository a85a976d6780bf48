package resolve

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// PylockOptions say what a pylock.toml records beside the graph.
type PylockOptions struct {
	// Env is the target environment the graph was resolved for (zero:
	// pep508.DefaultEnv("3.12", "linux")). The lock's environments marker
	// and requires-python say that it holds for that environment only.
	Env pep508.Env
	// Requirements are the root requirements the graph was resolved from,
	// and Constraints the constraints (-c files) it was resolved under,
	// recorded under [tool.pyvet] so the lock says what it locks.
	Requirements, Constraints []*pep508.Requirement
	// IndexURL is the Simple API base the packages came from; it is
	// written as every package's index when ExtraIndexURLs is empty (with
	// several indexes the file URLs say where each file is).
	IndexURL       string
	ExtraIndexURLs []string
}

// pylockDoc is the pylock.toml document, its keys in the order PEP 751
// lists them.
type pylockDoc struct {
	LockVersion    string          `toml:"lock-version"`
	Environments   []string        `toml:"environments,omitempty"`
	RequiresPython string          `toml:"requires-python,omitempty"`
	CreatedBy      string          `toml:"created-by"`
	Packages       []pylockPackage `toml:"packages"`
	Tool           *pylockTool     `toml:"tool,omitempty"`
}

type pylockPackage struct {
	Name           string       `toml:"name"`
	Version        string       `toml:"version"`
	RequiresPython string       `toml:"requires-python,omitempty"`
	Dependencies   []pylockDep  `toml:"dependencies,inline,omitempty"`
	Index          string       `toml:"index,omitempty"`
	Sdist          *pylockFile  `toml:"sdist,inline,omitempty"`
	Wheels         []pylockFile `toml:"wheels,inline,omitempty" multiline:"true"`
}

type pylockDep struct {
	Name string `toml:"name"`
}

type pylockFile struct {
	Name       string            `toml:"name"`
	UploadTime time.Time         `toml:"upload-time,omitzero"`
	URL        string            `toml:"url"`
	Size       int64             `toml:"size,omitempty"`
	Hashes     map[string]string `toml:"hashes,inline"`
}

type pylockTool struct {
	Pyvet pylockToolPyvet `toml:"pyvet"`
}

type pylockToolPyvet struct {
	Requirements []string `toml:"requirements,omitempty" multiline:"true"`
	Constraints  []string `toml:"constraints,omitempty" multiline:"true"`
}

// lockHash reports whether a (lower-case) hash is one a lock records: a
// hashlib name and a hexadecimal digest, as the Simple API gives them.
func lockHash(algo, value string) bool {
	return len(algo) >= 1 && len(algo) <= 32 && onlyBytes(algo, "abcdefghijklmnopqrstuvwxyz0123456789_") &&
		len(value) >= 16 && len(value) <= 256 && onlyBytes(value, "0123456789abcdef")
}

func onlyBytes(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

// MarshalPylock returns g as a PEP 751 pylock.toml (lock-version 1.0): one
// [[packages]] entry per selected package, sorted by name, with its version,
// index, sdist and wheels (name, upload-time, url, size and hashes as the
// index gave them) and its dependencies. A lock is for installing, so only
// files with a usable hash and an absolute URL are recorded, and a package
// left with none is an error naming it. The output is the same for the
// same graph and options.
func MarshalPylock(g *Graph, o PylockOptions) ([]byte, error) {
	env := o.Env
	if env == nil {
		env = pep508.DefaultEnv("3.12", "linux")
	}
	doc := pylockDoc{LockVersion: "1.0", CreatedBy: "pyvet", Packages: []pylockPackage{}}
	if m := environmentMarker(env); m != "" {
		doc.Environments = []string{m}
	}
	if v := env["python_version"]; pythonVersion.MatchString(v) {
		doc.RequiresPython = "==" + v + ".*"
	}
	index := ""
	if len(o.ExtraIndexURLs) == 0 && absoluteURL(o.IndexURL) {
		index = o.IndexURL
	}
	nodes := slices.Clone(g.Packages)
	slices.SortStableFunc(nodes, func(a, b *Node) int { return strings.Compare(a.Name, b.Name) })
	in := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		in[n.Name] = true
	}
	var missing []string
	for _, n := range nodes {
		p := pylockPackage{Name: n.Name, Version: n.Version.String(), Index: index}
		seen := map[string]bool{}
		for _, e := range n.Dependencies {
			if in[e.To] && !seen[e.To] && e.To != n.Name {
				seen[e.To] = true
				p.Dependencies = append(p.Dependencies, pylockDep{Name: e.To})
			}
		}
		sort.Slice(p.Dependencies, func(i, j int) bool { return p.Dependencies[i].Name < p.Dependencies[j].Name })
		var sdists []pylockFile
		requiresPython, samePython, first := "", true, true
		for _, f := range n.Files {
			lf, ok := lockFile(f)
			kind := distKind(lf.Name)
			if !ok || kind == "" {
				continue // unlockable, or an egg or installer no lock installs
			}
			if first {
				requiresPython, first = f.RequiresPython, false
			} else if f.RequiresPython != requiresPython {
				samePython = false
			}
			if kind == "wheel" {
				p.Wheels = append(p.Wheels, lf)
			} else {
				sdists = append(sdists, lf)
			}
		}
		if samePython && validSpecifier(requiresPython) {
			p.RequiresPython = requiresPython
		}
		slices.SortFunc(p.Wheels, comparePylockFiles)
		if len(sdists) > 0 {
			// One sdist: the PEP 625 .tar.gz when there are several.
			slices.SortFunc(sdists, func(a, b pylockFile) int {
				if ta, tb := strings.HasSuffix(a.Name, ".tar.gz"), strings.HasSuffix(b.Name, ".tar.gz"); ta != tb {
					if ta {
						return -1
					}
					return 1
				}
				return comparePylockFiles(a, b)
			})
			p.Sdist = &sdists[0]
		}
		if p.Sdist == nil && len(p.Wheels) == 0 {
			missing = append(missing, n.Name+" "+p.Version)
		}
		doc.Packages = append(doc.Packages, p)
	}
	if len(missing) > 0 {
		names := strings.Join(missing[:min(len(missing), 5)], ", ")
		if len(missing) > 5 {
			names += fmt.Sprintf(" (+%d)", len(missing)-5)
		}
		return nil, fmt.Errorf("cannot lock %s: the index gives no wheel or sdist with a sha256 (or other hexadecimal) hash and an absolute URL for the target", names)
	}
	if len(o.Requirements)+len(o.Constraints) > 0 {
		doc.Tool = &pylockTool{Pyvet: pylockToolPyvet{Requirements: requirementStrings(o.Requirements), Constraints: requirementStrings(o.Constraints)}}
	}
	var b bytes.Buffer
	enc := toml.NewEncoder(&b).SetIndentTables(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("pylock.toml: %w", err)
	}
	return b.Bytes(), nil
}

// comparePylockFiles orders files by name, then URL, then hashes, so that
// the order does not depend on the index's.
func comparePylockFiles(a, b pylockFile) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := strings.Compare(a.URL, b.URL); c != 0 {
		return c
	}
	return strings.Compare(fmt.Sprint(a.Hashes), fmt.Sprint(b.Hashes)) // fmt prints maps sorted
}

func requirementStrings(rs []*pep508.Requirement) []string {
	var out []string
	for _, r := range rs {
		if r != nil {
			out = append(out, r.String())
		}
	}
	return out
}

// WritePylock writes g as pylock.toml at path through internal/safeio: a
// symlink's target is written, a device or FIFO directly, a regular file
// replaced atomically keeping its mode, and nothing is written when the
// graph cannot be locked.
func WritePylock(path string, g *Graph, o PylockOptions) error {
	data, err := MarshalPylock(g, o)
	if err != nil {
		return err
	}
	return safeio.WriteFile(path, data, 0o644)
}

// lockFile converts a distribution file to its pylock table, or reports
// that it cannot be locked (no usable hash, no absolute URL).
func lockFile(f File) (pylockFile, bool) {
	if !absoluteURL(f.URL) {
		return pylockFile{}, false
	}
	lf := pylockFile{Name: f.Filename, URL: f.URL, Size: max(f.Size, 0), Hashes: map[string]string{}}
	if lf.Name == "" {
		u, _ := url.Parse(f.URL)
		lf.Name = u.Path[strings.LastIndex(u.Path, "/")+1:]
	}
	for algo, v := range f.Hashes {
		algo, v = strings.ToLower(algo), strings.ToLower(v)
		if lockHash(algo, v) {
			lf.Hashes[algo] = v
		}
	}
	if len(lf.Hashes) == 0 || lf.Name == "" {
		return pylockFile{}, false
	}
	if !f.Uploaded.IsZero() {
		lf.UploadTime = f.Uploaded.UTC()
	}
	return lf, true
}

// distKind says whether a file name is a "wheel" or an "sdist" (the
// archive formats pip builds from), or "" for anything else.
func distKind(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".whl"):
		return "wheel"
	case strings.HasSuffix(n, ".tar.gz"), strings.HasSuffix(n, ".zip"), strings.HasSuffix(n, ".tar.bz2"), strings.HasSuffix(n, ".tar.xz"), strings.HasSuffix(n, ".tar"):
		return "sdist"
	}
	return ""
}

// absoluteURL reports whether s is a URL an installer can fetch: a scheme
// and, except for file: URLs, a host.
func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "http":
		return u.Host != ""
	case "file":
		return u.Path != ""
	}
	return false
}

var pythonVersion = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,3}$`)

// validSpecifier reports whether s is a specifier set that may be written
// as requires-python.
func validSpecifier(s string) bool {
	if s == "" {
		return false
	}
	_, err := pep508.ParseRequirement("python" + s)
	return err == nil
}

// environmentMarker is the marker that holds in env and in environments
// that install the same wheels: sys_platform, platform_machine,
// implementation_name and python_version. Variables whose value cannot be
// quoted are left out.
func environmentMarker(env pep508.Env) string {
	var parts []string
	for _, k := range []string{"sys_platform", "platform_machine", "implementation_name", "python_version"} {
		v, ok := env[k]
		if !ok || v == "" || strings.ContainsAny(v, `'"\`) || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s == '%s'", k, v))
	}
	m := strings.Join(parts, " and ")
	if m == "" {
		return ""
	}
	if _, err := pep508.ParseMarker(m); err != nil {
		return ""
	}
	return m
}
