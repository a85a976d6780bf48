package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// condaMetaFormat is one conda-meta/*.json record of an installed conda
// package (Load reads a whole conda-meta directory).
var condaMetaFormat = FileFormat{
	Name: FormatCondaMeta,
	Match: func(p string) bool {
		return filepath.Base(filepath.Dir(p)) == "conda-meta" && strings.HasSuffix(strings.ToLower(filepath.Base(p)), ".json")
	},
	Sniff: func(t []byte) bool {
		return jsonHead(t) && (bytes.Contains(t, []byte(`"build`)) || bytes.Contains(t, []byte(`"channel"`)))
	},
	SniffStrength: 70,
	Parse:         ParseCondaMeta,
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
			p.Requires = append(p.Requires, canonicalName(n))
		}
	}
	for _, f := range rec.Files {
		p.Record = append(p.Record, RecordEntry{Path: f})
	}
	inv.Packages = append(inv.Packages, p)
	return finish(inv, opts), nil
}
