package license

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

func TestSPDXTable(t *testing.T) {
	if len(spdxLicenses) != 729 || len(spdxExceptions) != 85 {
		t.Errorf("table has %d licenses, %d exceptions; the 2026-04-28 list has 729 and 85", len(spdxLicenses), len(spdxExceptions))
	}
	if !Deprecated("GPL-2.0") || Deprecated("GPL-2.0-only") || !OSIApproved("MIT") || Name("Apache-2.0") != "Apache License 2.0" {
		t.Error("flags or names wrong")
	}
}

func TestParseExpression(t *testing.T) {
	cases := map[string]string{
		"mit":                                   "MIT",
		"MIT OR Apache-2.0":                     "MIT OR Apache-2.0",
		"apache-2.0 and (mit or bsd-3-clause)":  "Apache-2.0 AND (MIT OR BSD-3-Clause)",
		"GPL-2.0+":                              "GPL-2.0-or-later",
		"GPL-2.0 WITH classpath-exception-2.0":  "GPL-2.0-only WITH Classpath-exception-2.0",
		"LicenseRef-Company-EULA":               "LicenseRef-Company-EULA",
		"((MIT))":                               "MIT",
		"MIT AND BSD-2-Clause AND ISC":          "MIT AND BSD-2-Clause AND ISC",
		"(MIT AND ISC) OR (Apache-2.0 AND MIT)": "(MIT AND ISC) OR (Apache-2.0 AND MIT)",
	}
	for in, want := range cases {
		e, err := ParseExpression(in)
		if err != nil || e.String() != want {
			t.Errorf("ParseExpression(%q) = %v, %v; want %s", in, e, err, want)
		}
	}
	for _, bad := range []string{"", "MIT OR", "(MIT", "MIT)", "Foo-License", "MIT WITH", "MIT WITH not-an-exception", "MIT AND AND ISC", "MIT / Apache"} {
		if e, err := ParseExpression(bad); err == nil {
			t.Errorf("ParseExpression(%q) = %v, want an error", bad, e)
		}
	}
}

func TestResolve(t *testing.T) {
	cases := []struct {
		expr, text string
		cls        []string
		want       string
		class      Class
		src        Source
	}{
		{"MIT", "GPL", nil, "MIT", Permissive, FromExpression},
		{"", "Apache 2.0", nil, "Apache-2.0", Permissive, FromLicense},
		{"", "Apache License, Version 2.0", nil, "Apache-2.0", Permissive, FromLicense},
		{"", "new BSD", nil, "BSD-3-Clause", Permissive, FromLicense},
		{"", "LGPLv3+", nil, "LGPL-3.0-or-later", WeakCopyleft, FromLicense},
		{"", "GPLv2", nil, "GPL-2.0-only", StrongCopyleft, FromLicense},
		{"", "MPL 2.0", nil, "MPL-2.0", WeakCopyleft, FromLicense},
		{"", "Copyright (c) 2020 X\n\nPermission is hereby granted, free of charge, to any person", nil, "MIT", Permissive, FromLicense},
		{"", "GNU GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007\n... or (at your option) any later version.", nil, "GPL-3.0-or-later", StrongCopyleft, FromLicense},
		{"", "Redistribution and use in source and binary forms ... Neither the name of", nil, "BSD-3-Clause", Permissive, FromLicense},
		{"", "UNKNOWN", []string{"License :: OSI Approved :: BSD License"}, "LicenseRef-pyvet-BSD", Permissive, FromClassifier},
		{"", "", []string{"License :: OSI Approved :: MIT License", "License :: OSI Approved :: GNU General Public License v3 (GPLv3)"}, "MIT OR GPL-3.0-only", Permissive, FromClassifier},
		{"", "", []string{"License :: Other/Proprietary License"}, "LicenseRef-pyvet-Proprietary", Proprietary, FromClassifier},
		{"", "", []string{"License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication"}, "CC0-1.0", Permissive, FromClassifier},
		// The name an installed distribution records from its classifier.
		{"", "ISC License (ISCL)", nil, "ISC", Permissive, FromLicense},
		{"", "Mozilla Public License 2.0 (MPL 2.0)", nil, "MPL-2.0", WeakCopyleft, FromLicense},
		{"", "AGPL-3.0-only AND MIT", nil, "AGPL-3.0-only AND MIT", StrongCopyleft, FromLicense},
		{"", "GPL-2.0-or-later WITH Classpath-exception-2.0", nil, "GPL-2.0-or-later WITH Classpath-exception-2.0", WeakCopyleft, FromLicense},
		{"", "CC-BY-NC-4.0", nil, "CC-BY-NC-4.0", Proprietary, FromLicense},
		{"", "UNKNOWN", nil, "", Unknown, FromNothing},
		{"", "My own license, see the file", nil, "", Unknown, FromNothing},
		{"not valid (", "", []string{"License :: OSI Approved :: ISC License (ISCL)"}, "ISC", Permissive, FromClassifier},
	}
	for _, c := range cases {
		r := Resolve(c.expr, c.text, c.cls)
		if r.Expression != c.want || r.Class != c.class || r.Source != c.src {
			t.Errorf("Resolve(%q, %q, %v) = %q %s %q (%s), want %q %s %q", c.expr, shorten(c.text, 30), c.cls, r.Expression, r.Class, r.Source, r.Problem, c.want, c.class, c.src)
		}
		if r.Class == Unknown && r.Problem == "" {
			t.Errorf("Resolve(%q, %q): unknown without a problem", c.expr, c.text)
		}
	}
}

func codes(fs []finding.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Package+":"+f.Rule+":"+f.Severity.String())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func testInventory() *inventory.Inventory {
	return &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "mitpkg", Version: "1.0"},
		{Name: "gplpkg", Version: "2.0"},
		{Name: "agplpkg"},
		{Name: "mystery", Version: "1.0"},
		{Name: "dual", Version: "1.0"},
		{Name: "installed", Version: "3.0", License: "BSD-2-Clause", Source: inventory.Source{Kind: inventory.SourcePath}},
		{Name: "vendored", Source: inventory.Source{Kind: inventory.SourcePath}},
	}}
}

func runCheck(t *testing.T, cfg Config) ([]finding.Finding, error) {
	srv := pypitest.New(t, pypitest.Layout{ProjectJSON: filepath.Join("testdata", "pypi"), ReleaseJSON: filepath.Join("testdata", "pypi")})
	idx := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", CacheDir: t.TempDir()})
	return Check(context.Background(), testInventory(), idx, cfg)
}

func TestCheckDefault(t *testing.T) {
	fs, err := runCheck(t, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := "agplpkg:license-copyleft:medium,dual:license-metadata:info,gplpkg:license-copyleft:low,mystery:license-unknown:medium,vendored:license-unknown:medium"
	if got := codes(fs); got != want {
		t.Errorf("findings:\n%s\nwant\n%s", got, want)
	}
	for _, f := range fs {
		if f.Title == "" || f.Detail == "" || f.Action == "" || f.Risk != finding.RiskLicense {
			t.Errorf("incomplete finding %+v", f)
		}
	}
}

func TestCheckAllowDeny(t *testing.T) {
	fs, err := runCheck(t, Config{Allow: []string{"permissive", "LGPL-3.0-only"}, Deny: []string{"AGPL-3.0-only"}, Unknown: true})
	if err != nil {
		t.Fatal(err)
	}
	// dual (from classifiers: LGPL-3.0-only OR Apache-2.0) is allowed; gplpkg is not; agplpkg is denied.
	want := "agplpkg:license-denied:high,dual:license-metadata:info,gplpkg:license-not-allowed:medium,mystery:license-unknown:medium,vendored:license-unknown:medium"
	if got := codes(fs); got != want {
		t.Errorf("findings:\n%s\nwant\n%s", got, want)
	}
	if _, err := runCheck(t, Config{Deny: []string{"no-such-license"}}); err == nil || !strings.Contains(err.Error(), "no-such-license") {
		t.Errorf("bad deny list: err = %v", err)
	}
	fs, _ = runCheck(t, Config{Deny: []string{"unknown", "strong-copyleft"}})
	if got := codes(fs); got != "agplpkg:license-denied:high,dual:license-metadata:info,gplpkg:license-denied:high,mystery:license-denied:high,vendored:license-denied:high" {
		t.Errorf("deny classes: %s", got)
	}
}
