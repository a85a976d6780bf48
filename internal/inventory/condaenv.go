package inventory

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pyvet/pyvet/internal/safeio"
)

// condaEnvFormat is a conda environment.yml.
var condaEnvFormat = FileFormat{
	Name: FormatCondaEnv,
	Match: func(p string) bool {
		lower := strings.ToLower(filepath.Base(p))
		return (strings.HasSuffix(lower, ".yml") || strings.HasSuffix(lower, ".yaml")) && strings.Contains(lower, "environment")
	},
	Sniff:         func(t []byte) bool { return !jsonHead(t) && bytes.Contains(t, []byte("dependencies:")) },
	SniffStrength: 30,
	Examples:      []string{"environment.yml", "environment.yaml"},
	ProjectFiles:  func(dir string) []string { return existing(dir, "environment.yml", "environment.yaml") },
	Parse:         ParseCondaEnv,
}

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
