package license

import (
	"regexp"
	"strings"
)

// Source says which metadata field a license was read from.
type Source string

// Metadata fields, in the order they are trusted.
const (
	FromExpression Source = "License-Expression"
	FromLicense    Source = "License"
	FromClassifier Source = "classifier"
	FromNothing    Source = ""
)

// Result is the license of a package as pyvet understands it.
type Result struct {
	Expression string // canonical SPDX expression; "" when unknown
	Class      Class
	Source     Source
	Raw        string // the text it was read from
	// Problem explains why the license is unknown, or notes a metadata problem
	// (an invalid License-Expression that was ignored for the other fields).
	Problem string
	expr    *Expr
}

// IDs returns the license ids of the result.
func (r Result) IDs() []string {
	if r.expr == nil {
		return nil
	}
	return r.expr.IDs()
}

// Resolve determines a package's license from its core metadata: a valid PEP
// 639 License-Expression wins; otherwise the License field (an SPDX
// expression, a common name such as "Apache 2.0", or the license text); then
// the License :: classifiers.
func Resolve(expression, text string, classifiers []string) Result {
	var problem string
	if s := strings.TrimSpace(expression); s != "" {
		e, err := ParseExpression(s)
		if err == nil {
			return result(e, FromExpression, s, "")
		}
		problem = "invalid License-Expression: " + err.Error()
	}
	if s := strings.TrimSpace(text); s != "" && !isPlaceholder(s) {
		if e := FromText(s); e != nil {
			return result(e, FromLicense, s, problem)
		}
	}
	if e := FromClassifiers(classifiers); e != nil {
		return result(e, FromClassifier, strings.Join(licenseClassifiers(classifiers), "; "), problem)
	}
	r := Result{Class: Unknown, Raw: strings.TrimSpace(text), Problem: problem}
	if r.Problem == "" {
		if r.Raw == "" || isPlaceholder(r.Raw) {
			r.Problem = "no license metadata (no License-Expression, License field or license classifier)"
		} else {
			r.Problem = "the License field is not a license pyvet recognizes: " + shorten(r.Raw, 80)
		}
	}
	return r
}

func result(e *Expr, src Source, raw, problem string) Result {
	return Result{Expression: e.String(), Class: e.Class(), Source: src, Raw: raw, Problem: problem, expr: e}
}

func isPlaceholder(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "unknown", "none", "n/a", "na", "-", "license", "see license", "see license file", "see license.txt", "other", "custom", "":
		return true
	}
	return false
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// aliases maps common License-field spellings (lower case, punctuation
// folded) to SPDX expressions. Ambiguous families map to LicenseRef-pyvet-*
// ids whose class is known.
var aliases = map[string]string{
	"mit": "MIT", "mit license": "MIT", "the mit license": "MIT", "mit licence": "MIT", "expat": "MIT", "mit/x11": "MIT", "the mit license mit": "MIT",
	"bsd": "LicenseRef-pyvet-BSD", "bsd license": "LicenseRef-pyvet-BSD", "bsd licence": "LicenseRef-pyvet-BSD", "bsd style": "LicenseRef-pyvet-BSD", "bsd-like": "LicenseRef-pyvet-BSD",
	"new bsd": "BSD-3-Clause", "new bsd license": "BSD-3-Clause", "modified bsd": "BSD-3-Clause", "modified bsd license": "BSD-3-Clause", "bsd 3 clause": "BSD-3-Clause",
	"3 clause bsd": "BSD-3-Clause", "bsd 3": "BSD-3-Clause", "bsd3": "BSD-3-Clause", "revised bsd": "BSD-3-Clause", "bsd 3 clause license": "BSD-3-Clause", "3 clause bsd license": "BSD-3-Clause",
	"simplified bsd": "BSD-2-Clause", "bsd 2 clause": "BSD-2-Clause", "2 clause bsd": "BSD-2-Clause", "freebsd": "BSD-2-Clause", "bsd 2": "BSD-2-Clause", "bsd2": "BSD-2-Clause",
	"apache": "Apache-2.0", "apache 2": "Apache-2.0", "apache 2.0": "Apache-2.0", "apache2": "Apache-2.0", "apache license": "Apache-2.0", "apache license 2.0": "Apache-2.0",
	"apache license version 2.0": "Apache-2.0", "apache software license": "Apache-2.0", "apache software license 2.0": "Apache-2.0", "asl": "Apache-2.0", "asl 2.0": "Apache-2.0", "asl2": "Apache-2.0",
	"apache license v2": "Apache-2.0", "apache v2": "Apache-2.0", "apache 2 license": "Apache-2.0", "apache license v2.0": "Apache-2.0", "apache 2.0 license": "Apache-2.0",
	"gpl": "LicenseRef-pyvet-GPL", "gnu gpl": "LicenseRef-pyvet-GPL", "gpl license": "LicenseRef-pyvet-GPL",
	"gplv2": "GPL-2.0-only", "gpl v2": "GPL-2.0-only", "gpl2": "GPL-2.0-only", "gpl 2": "GPL-2.0-only", "gplv2+": "GPL-2.0-or-later", "gpl v2+": "GPL-2.0-or-later", "gpl 2+": "GPL-2.0-or-later",
	"gplv3": "GPL-3.0-only", "gpl v3": "GPL-3.0-only", "gpl3": "GPL-3.0-only", "gpl 3": "GPL-3.0-only", "gplv3+": "GPL-3.0-or-later", "gpl v3+": "GPL-3.0-or-later", "gpl 3+": "GPL-3.0-or-later",
	"gnu general public license v3": "GPL-3.0-only", "gnu general public license v2": "GPL-2.0-only", "gnu gplv3": "GPL-3.0-only", "gnu gplv2": "GPL-2.0-only",
	"lgpl": "LicenseRef-pyvet-LGPL", "gnu lgpl": "LicenseRef-pyvet-LGPL", "lgplv2": "LGPL-2.0-only", "lgplv2.1": "LGPL-2.1-only", "lgpl v2.1": "LGPL-2.1-only", "lgplv2+": "LGPL-2.0-or-later",
	"lgplv3": "LGPL-3.0-only", "lgpl v3": "LGPL-3.0-only", "lgplv3+": "LGPL-3.0-or-later", "lgpl 2.1": "LGPL-2.1-only", "lgpl 3": "LGPL-3.0-only",
	"agpl": "LicenseRef-pyvet-AGPL", "agplv3": "AGPL-3.0-only", "agpl v3": "AGPL-3.0-only", "agplv3+": "AGPL-3.0-or-later", "gnu agplv3": "AGPL-3.0-only",
	"mpl": "LicenseRef-pyvet-MPL", "mpl 2.0": "MPL-2.0", "mpl2": "MPL-2.0", "mpl 2": "MPL-2.0", "mozilla public license 2.0": "MPL-2.0", "mpl 1.1": "MPL-1.1",
	"isc": "ISC", "isc license": "ISC", "iscl": "ISC",
	"psf": "PSF-2.0", "psfl": "PSF-2.0", "psf license": "PSF-2.0", "python software foundation license": "PSF-2.0", "python": "PSF-2.0",
	"zpl": "ZPL-2.1", "zpl 2.1": "ZPL-2.1", "zope public license": "ZPL-2.1",
	"public domain": "LicenseRef-pyvet-PublicDomain", "unlicense": "Unlicense", "the unlicense": "Unlicense", "cc0": "CC0-1.0", "cc0 1.0": "CC0-1.0",
	"wtfpl": "WTFPL", "boost": "BSL-1.0", "boost software license": "BSL-1.0", "zlib": "Zlib", "zlib/libpng": "Zlib", "eclipse public license 2.0": "EPL-2.0", "epl": "EPL-2.0",
	"proprietary": "LicenseRef-pyvet-Proprietary", "commercial": "LicenseRef-pyvet-Proprietary", "all rights reserved": "LicenseRef-pyvet-Proprietary",
	"proprietary license": "LicenseRef-pyvet-Proprietary", "other/proprietary license": "LicenseRef-pyvet-Proprietary",
	"dual license": "", "mit or apache 2.0": "MIT OR Apache-2.0", "apache 2.0 or mit": "Apache-2.0 OR MIT", "mit/apache 2.0": "MIT OR Apache-2.0", "apache 2.0/mit": "Apache-2.0 OR MIT",
}

var foldRe = regexp.MustCompile(`[\s_,]+|-`)

func foldText(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.Trim(s, ".;:\"'()")
	s = foldRe.ReplaceAllString(s, " ")
	return strings.Join(strings.Fields(s), " ")
}

// textMarkers recognize license texts pasted into the License field.
var textMarkers = []struct {
	marker string
	id     string
}{
	{"gnu affero general public license", "LicenseRef-pyvet-AGPL"},
	{"gnu lesser general public license", "LicenseRef-pyvet-LGPL"},
	{"gnu library general public license", "LicenseRef-pyvet-LGPL"},
	{"gnu general public license", "LicenseRef-pyvet-GPL"},
	{"mozilla public license version 2.0", "MPL-2.0"},
	{"apache license version 2.0", "Apache-2.0"},
	{"apache license, version 2.0", "Apache-2.0"},
	{"permission is hereby granted, free of charge", "MIT"},
	{"permission to use, copy, modify, and/or distribute this software for any purpose", "ISC"},
	{"this is free and unencumbered software released into the public domain", "Unlicense"},
	{"redistribution and use in source and binary forms", ""}, // BSD: 2 or 3 clauses, decided below
}

// FromText normalizes a License field: an SPDX expression, a known name or a
// pasted license text. It returns nil when the text is not recognized.
func FromText(s string) *Expr {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\n") && len(s) < 200 {
		if e, err := ParseExpression(s); err == nil {
			return e
		}
		if id, ok := aliases[foldText(s)]; ok && id != "" {
			if e, err := ParseExpression(id); err == nil {
				return e
			}
		}
		if strings.HasPrefix(strings.ToLower(s), "license :: ") {
			return FromClassifiers([]string{s})
		}
		if id := classifierNames[strings.ToLower(s)]; id != "" {
			if e, err := ParseExpression(id); err == nil {
				return e
			}
		}
	}
	lower := strings.ToLower(strings.Join(strings.Fields(s), " "))
	for _, m := range textMarkers {
		if !strings.Contains(lower, m.marker) {
			continue
		}
		id := m.id
		if id == "" {
			id = "BSD-2-Clause"
			if strings.Contains(lower, "neither the name") || strings.Contains(lower, "names of its contributors") {
				id = "BSD-3-Clause"
			}
		}
		if id == "LicenseRef-pyvet-GPL" || id == "LicenseRef-pyvet-LGPL" || id == "LicenseRef-pyvet-AGPL" {
			id = gnuVersion(lower, id)
		}
		e, _ := ParseExpression(id)
		return e
	}
	return nil
}

var gnuVersionRe = regexp.MustCompile(`version ([123](?:\.[01])?)`)

// gnuVersion picks the GNU license version from a pasted license text.
func gnuVersion(text, family string) string {
	m := gnuVersionRe.FindStringSubmatch(text)
	if m == nil {
		return family
	}
	v := m[1]
	if !strings.Contains(v, ".") {
		v += ".0"
	}
	prefix := strings.TrimPrefix(family, "LicenseRef-pyvet-")
	id := prefix + "-" + v + "-only"
	if strings.Contains(text, "or (at your option) any later version") {
		id = prefix + "-" + v + "-or-later"
	}
	if _, ok := CanonicalID(id); ok {
		return id
	}
	return family
}

// classifierIDs maps the trove license classifiers (after "License :: ") to SPDX.
var classifierIDs = map[string]string{
	"OSI Approved :: MIT License":                                                "MIT",
	"OSI Approved :: MIT No Attribution License (MIT-0)":                         "MIT-0",
	"OSI Approved :: BSD License":                                                "LicenseRef-pyvet-BSD",
	"OSI Approved :: Apache Software License":                                    "Apache-2.0",
	"OSI Approved :: ISC License (ISCL)":                                         "ISC",
	"OSI Approved :: Python Software Foundation License":                         "PSF-2.0",
	"OSI Approved :: Zope Public License":                                        "ZPL-2.1",
	"OSI Approved :: zlib/libpng License":                                        "Zlib",
	"OSI Approved :: The Unlicense (Unlicense)":                                  "Unlicense",
	"OSI Approved :: Boost Software License 1.0 (BSL-1.0)":                       "BSL-1.0",
	"OSI Approved :: Academic Free License (AFL)":                                "AFL-3.0",
	"OSI Approved :: Artistic License":                                           "Artistic-2.0",
	"OSI Approved :: Universal Permissive License (UPL)":                         "UPL-1.0",
	"OSI Approved :: University of Illinois/NCSA Open Source License":            "NCSA",
	"OSI Approved :: Historical Permission Notice and Disclaimer (HPND)":         "HPND",
	"OSI Approved :: Mozilla Public License 1.0 (MPL)":                           "MPL-1.0",
	"OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)":                       "MPL-1.1",
	"OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)":                       "MPL-2.0",
	"OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)":                       "EPL-1.0",
	"OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)":                       "EPL-2.0",
	"OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)": "CDDL-1.0",
	"OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)":              "LGPL-2.0-only",
	"OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)":    "LGPL-2.0-or-later",
	"OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)":              "LGPL-3.0-only",
	"OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)":    "LGPL-3.0-or-later",
	"OSI Approved :: GNU Library or Lesser General Public License (LGPL)":        "LicenseRef-pyvet-LGPL",
	"OSI Approved :: GNU General Public License (GPL)":                           "LicenseRef-pyvet-GPL",
	"OSI Approved :: GNU General Public License v2 (GPLv2)":                      "GPL-2.0-only",
	"OSI Approved :: GNU General Public License v2 or later (GPLv2+)":            "GPL-2.0-or-later",
	"OSI Approved :: GNU General Public License v3 (GPLv3)":                      "GPL-3.0-only",
	"OSI Approved :: GNU General Public License v3 or later (GPLv3+)":            "GPL-3.0-or-later",
	"OSI Approved :: GNU Affero General Public License v3":                       "AGPL-3.0-only",
	"OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)":    "AGPL-3.0-or-later",
	"OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)":               "EUPL-1.2",
	"OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)":               "EUPL-1.1",
	"OSI Approved :: Server Side Public License (SSPL)":                          "SSPL-1.0",
	"OSI Approved :: Open Software License 3.0 (OSL-3.0)":                        "OSL-3.0",
	"OSI Approved :: Blue Oak Model License (BlueOak-1.0.0)":                     "BlueOak-1.0.0",
	"OSI Approved :: MirOS License (MirOS)":                                      "MirOS",
	"OSI Approved :: PostgreSQL License":                                         "PostgreSQL",
	"OSI Approved :: Mulan Permissive Software License v2 (MulanPSL-2.0)":        "MulanPSL-2.0",
	"CC0 1.0 Universal (CC0 1.0) Public Domain Dedication":                       "CC0-1.0",
	"Public Domain":                                                                   "LicenseRef-pyvet-PublicDomain",
	"Other/Proprietary License":                                                       "LicenseRef-pyvet-Proprietary",
	"Freeware":                                                                        "LicenseRef-pyvet-Proprietary",
	"Free For Educational Use":                                                        "LicenseRef-pyvet-Proprietary",
	"Free For Home Use":                                                               "LicenseRef-pyvet-Proprietary",
	"Free for non-commercial use":                                                     "LicenseRef-pyvet-Proprietary",
	"Freely Distributable":                                                            "LicenseRef-pyvet-Proprietary",
	"Shareware":                                                                       "LicenseRef-pyvet-Proprietary",
	"GUST Font License 1.0":                                                           "LicenseRef-pyvet-Proprietary",
	"Aladdin Free Public License (AFPL)":                                              "Aladdin",
	"DFSG approved":                                                                   "",
	"OSI Approved":                                                                    "",
	"Repoze Public License":                                                           "LicenseRef-pyvet-BSD",
	"Nokia Open Source License (NOKOS)":                                               "Nokia",
	"Netscape Public License (NPL)":                                                   "NPL-1.1",
	"OSI Approved :: Attribution Assurance License":                                   "AAL",
	"OSI Approved :: Apple Public Source License":                                     "APSL-2.0",
	"OSI Approved :: Common Public License":                                           "CPL-1.0",
	"OSI Approved :: Eiffel Forum License":                                            "EFL-2.0",
	"OSI Approved :: IBM Public License":                                              "IPL-1.0",
	"OSI Approved :: Intel Open Source License":                                       "Intel",
	"OSI Approved :: Jabber Open Source License":                                      "LicenseRef-pyvet-Jabber",
	"OSI Approved :: Motosoto License":                                                "Motosoto",
	"OSI Approved :: Nethack General Public License":                                  "NGPL",
	"OSI Approved :: Qt Public License (QPL)":                                         "QPL-1.0",
	"OSI Approved :: Ricoh Source Code Public License":                                "RSCPL",
	"OSI Approved :: Sleepycat License":                                               "Sleepycat",
	"OSI Approved :: Sun Industry Standards Source License (SISSL)":                   "SISSL",
	"OSI Approved :: Sun Public License":                                              "SPL-1.0",
	"OSI Approved :: Vovida Software License 1.0":                                     "VSL-1.0",
	"OSI Approved :: W3C License":                                                     "W3C",
	"OSI Approved :: X.Net License":                                                   "Xnet",
	"OSI Approved :: zlib/libpng License (Zlib)":                                      "Zlib",
	"OSI Approved :: GNU Free Documentation License (FDL)":                            "GFDL-1.3-or-later",
	"OSI Approved :: Apache Software License 2.0 (Apache-2.0)":                        "Apache-2.0",
	"OSI Approved :: GNU Lesser General Public License v2.1 (LGPLv2.1)":               "LGPL-2.1-only",
	"OSI Approved :: Python License (CNRI Python License)":                            "CNRI-Python",
	"OSI Approved :: Universal Permissive License (UPL) (UPL-1.0)":                    "UPL-1.0",
	"OSI Approved :: Educational Community License, Version 2.0 (ECL-2.0)":            "ECL-2.0",
	"OSI Approved :: CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)": "CECILL-2.1",
}

// classifierNames maps the last part of a trove license classifier, lower
// case ("isc license (iscl)"), to its SPDX id: installed distributions
// without a License field record their license by that name. A name two
// classifiers give different ids is left out.
var classifierNames = func() map[string]string {
	m := map[string]string{}
	for c, id := range classifierIDs {
		name := c
		if i := strings.LastIndex(c, " :: "); i >= 0 {
			name = c[i+len(" :: "):]
		}
		name = strings.ToLower(name)
		if old, dup := m[name]; dup && old != id {
			id = ""
		}
		m[name] = id
	}
	return m
}()

func licenseClassifiers(cs []string) []string {
	var out []string
	for _, c := range cs {
		if strings.HasPrefix(strings.TrimSpace(c), "License :: ") {
			out = append(out, strings.TrimSpace(c))
		}
	}
	return out
}

// FromClassifiers combines the License :: classifiers into an expression. More
// than one license classifier is read as a choice (OR), the usual intent of
// dual-licensed packages. It returns nil when no classifier names a license.
func FromClassifiers(cs []string) *Expr {
	var args []*Expr
	seen := map[string]bool{}
	for _, c := range licenseClassifiers(cs) {
		id := classifierIDs[strings.TrimPrefix(c, "License :: ")]
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if cid, ok := CanonicalID(id); ok {
			args = append(args, &Expr{ID: cid})
		}
	}
	switch len(args) {
	case 0:
		return nil
	case 1:
		return args[0]
	}
	return &Expr{Op: "OR", Args: args}
}
