package inventory

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
)

// pipfileFormat is Pipenv's Pipfile.
var pipfileFormat = FileFormat{
	Name: FormatPipfile,
	Kind: KindManifest,
	Match: func(p string) bool {
		base := filepath.Base(p)
		return base == "Pipfile" || strings.HasPrefix(base, "Pipfile.") && base != "Pipfile.lock"
	},
	Examples:       []string{"Pipfile"},
	ProjectFiles:   func(dir string) []string { return existing(dir, "Pipfile") },
	MarksProject:   []string{"Pipfile"},
	DeclaresDirect: true,
	Parse:          ParsePipfile,
	Python:         pipfileTOMLPython,
}

// pipfileTOMLPython reads [requires].
func pipfileTOMLPython(data []byte) []PythonBound {
	var doc struct {
		Requires struct {
			PythonVersion     string `toml:"python_version"`
			PythonFullVersion string `toml:"python_full_version"`
		} `toml:"requires"`
	}
	if decodeTOML("", data, &doc) != nil {
		return nil
	}
	return pipfilePython(doc.Requires.PythonVersion, doc.Requires.PythonFullVersion)
}

// pipfilePython is what Pipenv's python_version and python_full_version
// say (Pipfile [requires], Pipfile.lock _meta.requires).
func pipfilePython(version, full string) []PythonBound {
	switch {
	case full != "":
		return []PythonBound{{What: "python_full_version " + full, Specs: []string{"==" + full}}}
	case version != "":
		return []PythonBound{{What: "python_version " + version, Specs: []string{"==" + version + ".*"}}}
	}
	return nil
}

// pipfileMarkerKeys are the PEP 508 variables Pipenv accepts as package keys.
var pipfileMarkerKeys = []string{
	"os_name", "sys_platform", "platform_machine", "platform_python_implementation", "platform_release",
	"platform_system", "platform_version", "python_version", "python_full_version", "implementation_name",
}

// ParsePipfile reads a Pipfile: [packages] (direct), [dev-packages] (group
// "dev") and other categories (group named after them); [[source]] entries are
// recorded as index options.
func ParsePipfile(file string, data []byte, opts Options) (*Inventory, error) {
	var doc map[string]any
	if err := decodeTOML(file, data, &doc); err != nil {
		return nil, err
	}
	lf := newLineFinder(data)
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "Pipfile"}}}
	if srcs, ok := doc["source"].([]any); ok {
		for i, s := range srcs {
			m, _ := s.(map[string]any)
			u, _ := m["url"].(string)
			if u == "" {
				continue
			}
			if i == 0 {
				inv.Index.IndexURL = RedactURL(u)
			} else {
				inv.Index.ExtraIndexURLs = append(inv.Index.ExtraIndexURLs, RedactURL(u))
			}
			inv.Index.Locations = append(inv.Index.Locations, Location{File: file, Line: lf.findString("[[source]]", u)})
		}
	}
	for _, section := range sortedKeys(doc) {
		deps, ok := doc[section].(map[string]any)
		if !ok || section == "requires" || section == "pipenv" || section == "scripts" || section == "source" {
			continue
		}
		group := section
		switch section {
		case "packages":
			group = ""
		case "dev-packages":
			group = "dev"
		}
		header := "[" + section + "]"
		for _, name := range sortedKeys(deps) {
			line := lf.findKey(header, name)
			p := newPackage(name)
			p.Locations = []Location{{File: file, Line: line}}
			p.Direct = true
			if group != "" {
				p.Groups = []string{group}
			}
			switch v := deps[name].(type) {
			case string:
				if v != "*" {
					setSpecifier(p, v)
				}
			case map[string]any:
				str := func(k string) string { s, _ := v[k].(string); return s }
				if ver := str("version"); ver != "" && ver != "*" {
					setSpecifier(p, ver)
				}
				markers := []string{}
				if m := str("markers"); m != "" {
					markers = append(markers, m)
				}
				// Pipenv also takes marker variables as keys: sys_platform = "== 'win32'".
				for _, k := range pipfileMarkerKeys {
					if c := str(k); c != "" {
						markers = append(markers, k+" "+c)
					}
				}
				if len(markers) == 1 {
					p.Marker = markers[0]
				} else if len(markers) > 1 {
					p.Marker = "(" + strings.Join(markers, ") and (") + ")"
				}
				if ex, ok := v["extras"].([]any); ok {
					for _, e := range ex {
						if s, ok := e.(string); ok {
							p.Extras = append(p.Extras, s)
						}
					}
				}
				editable, _ := v["editable"].(bool)
				switch {
				case str("git") != "":
					p.Source = Source{Kind: SourceVCS, VCS: "git", URL: str("git"), Ref: str("ref"), Editable: editable}
				case str("path") != "":
					p.Source = Source{Kind: SourcePath, Path: relDir(file, str("path")), Editable: editable}
				case str("file") != "":
					p.Source = SourceFromURL(str("file"))
				}
			default:
				return nil, errf(file, line, "package %s: unexpected value %s", clipName(name), safeio.Excerpt(fmt.Sprint(v)))
			}
			inv.Packages = append(inv.Packages, p)
		}
	}
	markProjectPaths(file, inv.Packages, false)
	return finish(inv, opts), nil
}
