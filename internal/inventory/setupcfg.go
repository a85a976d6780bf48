package inventory

import (
	"bufio"
	"bytes"
	"errors"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
)

// setupCfgFormat is setuptools' setup.cfg.
var setupCfgFormat = FileFormat{
	Name:         FormatSetupCfg,
	Kind:         KindManifest,
	Match:        func(p string) bool { return baseIs(p, "setup.cfg") },
	Examples:     []string{"setup.cfg"},
	ProjectFiles: func(dir string) []string { return existing(dir, "setup.cfg") },
	MarksProject: []string{"setup.cfg"},
	Parse:        ParseSetupCfg,
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
