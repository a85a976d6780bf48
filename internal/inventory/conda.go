package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pyvet/pyvet/internal/safeio"
)

// ParseCondaEnv reads a conda environment.yml. Entries of the pip: section are
// read as requirements lines (PyPI packages); plain conda specs are kept with
// source kind "conda" and their version constraint translated to PEP 440 text.
func ParseCondaEnv(file string, data []byte, opts Options) (*Inventory, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, errf(file, yamlErrorLine(err), "invalid YAML: %s", boundedError(err))
	}
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "environment.yml"}}}
	if len(root.Content) == 0 {
		return nil, errf(file, 0, "empty file")
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, errf(file, doc.Line, "not a conda environment file: expected a mapping")
	}
	var deps *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "dependencies" {
			deps = doc.Content[i+1]
		}
	}
	if deps == nil {
		return finish(inv, opts), nil
	}
	if deps.Kind != yaml.SequenceNode {
		return nil, errf(file, deps.Line, "dependencies: expected a list")
	}
	rp := newReqParser(file, opts, inv)
	for _, d := range deps.Content {
		switch d.Kind {
		case yaml.ScalarNode:
			p, err := condaSpec(file, d.Line, d.Value)
			if err != nil {
				return nil, err
			}
			inv.Packages = append(inv.Packages, p)
		case yaml.MappingNode:
			for i := 0; i+1 < len(d.Content); i += 2 {
				if d.Content[i].Value != "pip" || d.Content[i+1].Kind != yaml.SequenceNode {
					return nil, errf(file, d.Line, "unexpected entry %s in dependencies", safeio.Excerpt(d.Content[i].Value))
				}
				for _, e := range d.Content[i+1].Content {
					if _, err := rp.parseLine(file, e.Line, strings.TrimSpace(e.Value), false, []string{file}); err != nil {
						return nil, err
					}
				}
			}
		default:
			return nil, errf(file, d.Line, "unexpected dependency entry")
		}
	}
	return finish(inv, opts), nil
}

func yamlErrorLine(err error) int {
	var line int
	if _, e := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); e == nil {
		return line
	}
	return 0
}

// condaSpec converts a conda match spec ("numpy>=1.2", "python=3.8",
// "conda-forge::pkg 1.2.*", "pkg=1.2=build") into a package.
func condaSpec(file string, line int, spec string) (*Package, error) {
	s := strings.TrimSpace(spec)
	if i := strings.Index(s, "::"); i >= 0 {
		s = s[i+2:]
	}
	if i := strings.IndexByte(s, '['); i >= 0 {
		s = s[:i]
	}
	name := s
	rest := ""
	if i := strings.IndexAny(s, " =<>!~"); i >= 0 {
		name, rest = s[:i], strings.TrimSpace(s[i:])
	}
	if name == "" || leadingName(name) != name {
		return nil, errf(file, line, "invalid conda spec %s", safeio.Excerpt(spec))
	}
	p := newPackage(name)
	p.Source = Source{Kind: SourceConda}
	p.Locations = []Location{{File: file, Line: line}}
	p.Direct = true
	if rest == "" {
		return p, nil
	}
	// "pkg 1.2 build" / "pkg=1.2=build": the build string is dropped.
	if strings.HasPrefix(rest, "=") && !strings.HasPrefix(rest, "==") {
		v := strings.SplitN(rest[1:], "=", 2)[0]
		if strings.HasSuffix(v, "*") {
			p.Specifier = "==" + v
		} else {
			p.Specifier = "==" + v + ".*"
		}
		return p, nil
	}
	fields := strings.Fields(rest)
	if len(fields) > 0 && !strings.ContainsAny(fields[0][:1], "=<>!~") {
		v := fields[0]
		if strings.HasSuffix(v, "*") {
			p.Specifier = "==" + v
		} else {
			p.Version = v
		}
		return p, nil
	}
	setSpecifier(p, strings.ReplaceAll(strings.Join(fields, ""), "|", ","))
	return p, nil
}

// ParseCondaMeta reads one conda-meta/*.json record of an installed conda
// package. A record without a name or version gives an empty inventory with a
// warning: conda writes such records for packages it could not describe.
func ParseCondaMeta(file string, data []byte, opts Options) (*Inventory, error) {
	var rec struct {
		Name    string   `json:"name"`
		Version string   `json:"version"`
		Channel string   `json:"channel"`
		URL     string   `json:"url"`
		MD5     string   `json:"md5"`
		SHA256  string   `json:"sha256"`
		License string   `json:"license"`
		Depends []string `json:"depends"`
		Files   []string `json:"files"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, jsonError(file, data, err)
	}
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "conda-meta"}}}
	if rec.Name == "" || rec.Version == "" {
		inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s: conda-meta record without a name or version; skipped", file))
		return finish(inv, opts), nil
	}
	p := newPackage(rec.Name)
	p.Version = rec.Version
	p.Source = Source{Kind: SourceConda, URL: rec.Channel}
	p.License = rec.License
	p.Locations = []Location{{File: file}}
	p.Direct = true
	if rec.SHA256 != "" {
		p.Hashes = append(p.Hashes, "sha256:"+rec.SHA256)
	}
	if rec.MD5 != "" {
		p.Hashes = append(p.Hashes, "md5:"+rec.MD5)
	}
	for _, d := range rec.Depends {
		if n := leadingName(d); n != "" {
			p.Requires = append(p.Requires, newPackage(n).Name)
		}
	}
	for _, f := range rec.Files {
		p.Record = append(p.Record, RecordEntry{Path: f})
	}
	inv.Packages = append(inv.Packages, p)
	return finish(inv, opts), nil
}

// ParseSetupCfg reads install_requires and extras_require of a setup.cfg.
func ParseSetupCfg(file string, data []byte, opts Options) (*Inventory, error) {
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "setup.cfg"}}}
	section, key := "", ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	num := 0
	addReq := func(line int, s string) error {
		s = strings.TrimSpace(s)
		if i := strings.Index(s, " #"); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		if s == "" || strings.HasPrefix(s, "#") {
			return nil
		}
		p, err := parseRequirementString(file, line, s)
		if err != nil {
			return err
		}
		p.Direct = true
		if section == "options.extras_require" {
			p.Groups = []string{key}
		}
		inv.Packages = append(inv.Packages, p)
		return nil
	}
	for sc.Scan() {
		num++
		raw := sc.Text()
		t := strings.TrimSpace(raw)
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			continue
		}
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			section, key = strings.TrimSpace(t[1:len(t)-1]), ""
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		if indented && key != "" {
			if err := addReq(num, t); err != nil {
				return nil, err
			}
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			k, v, ok = strings.Cut(t, ":")
		}
		if !ok {
			return nil, errf(file, num, "expected key = value, got %s", safeio.Excerpt(t))
		}
		key = ""
		k = strings.TrimSpace(k)
		if (section == "options" && k == "install_requires") || section == "options.extras_require" {
			key = k
			if err := addReq(num, v); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, errf(file, num+1, "line longer than 1 MiB")
		}
		return nil, errf(file, num, "%s", boundedError(err))
	}
	return finish(inv, opts), nil
}
