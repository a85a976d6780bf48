package license

import (
	"strings"
)

// Class is the kind of obligations a license brings.
type Class string

// License classes, from the least to the most restrictive; Unknown is separate.
const (
	Permissive     Class = "permissive"
	WeakCopyleft   Class = "weak-copyleft"
	StrongCopyleft Class = "strong-copyleft"
	Proprietary    Class = "proprietary"
	Unknown        Class = "unknown"
)

func (c Class) rank() int {
	switch c {
	case Permissive:
		return 0
	case WeakCopyleft:
		return 1
	case StrongCopyleft:
		return 2
	case Proprietary:
		return 3
	}
	return 4
}

// ParseClass parses a class name as used in pyvet.toml.
func ParseClass(s string) (Class, bool) {
	c := Class(strings.ToLower(strings.TrimSpace(strings.ReplaceAll(s, "_", "-"))))
	switch c {
	case Permissive, WeakCopyleft, StrongCopyleft, Proprietary, Unknown:
		return c, true
	}
	return "", false
}

// Prefix rules: the first matching prefix of an SPDX id (case-insensitive) gives its class.
var classPrefixes = []struct {
	prefix string
	class  Class
}{
	// weak copyleft first: "LGPL" must not fall under "GPL"-like rules below
	{"lgpl", WeakCopyleft}, {"mpl-", WeakCopyleft}, {"epl-", WeakCopyleft}, {"cddl-", WeakCopyleft},
	{"cpl-", WeakCopyleft}, {"ms-rl", WeakCopyleft}, {"cecill-c", WeakCopyleft}, {"eupl-1.0", StrongCopyleft},
	{"apsl-", WeakCopyleft}, {"erlpl-", WeakCopyleft}, {"ipl-", WeakCopyleft}, {"spl-", WeakCopyleft},
	{"mpl-2.0-no-copyleft-exception", WeakCopyleft}, {"gpl-2.0-with-classpath", WeakCopyleft},
	{"gpl-", StrongCopyleft}, {"agpl-", StrongCopyleft}, {"sspl-", StrongCopyleft}, {"osl-", StrongCopyleft},
	{"eupl-", StrongCopyleft}, {"cc-by-sa-", StrongCopyleft}, {"sleepycat", StrongCopyleft}, {"rpl-", StrongCopyleft},
	{"cecill-2", StrongCopyleft}, {"cecill-1", StrongCopyleft}, {"qpl-", StrongCopyleft}, {"gfdl-", StrongCopyleft},
	{"odbl-", StrongCopyleft}, {"rpsl-", StrongCopyleft},
	{"cc-by-nc", Proprietary}, {"cc-by-nd", Proprietary}, {"busl-", Proprietary}, {"elastic-", Proprietary},
	{"polyform-", Proprietary}, {"commons-clause", Proprietary}, {"licenseref-proprietary", Proprietary},
	{"licenseref-pyvet-proprietary", Proprietary},
	{"mit", Permissive}, {"bsd-", Permissive}, {"0bsd", Permissive}, {"apache-", Permissive}, {"isc", Permissive},
	{"zlib", Permissive}, {"psf-", Permissive}, {"python-2.0", Permissive}, {"cnri-python", Permissive},
	{"unlicense", Permissive}, {"cc0-", Permissive}, {"wtfpl", Permissive}, {"bsl-1.0", Permissive},
	{"hpnd", Permissive}, {"x11", Permissive}, {"ncsa", Permissive}, {"upl-", Permissive}, {"artistic-2.0", Permissive},
	{"postgresql", Permissive}, {"openssl", Permissive}, {"afl-", Permissive}, {"zpl-", Permissive}, {"cc-by-", Permissive},
	{"mulanpsl-", Permissive}, {"blueoak-", Permissive}, {"unicode-", Permissive}, {"curl", Permissive},
	{"ecl-2.0", Permissive}, {"ftl", Permissive}, {"libpng", Permissive}, {"ofl-", Permissive}, {"w3c", Permissive},
	{"xnet", Permissive}, {"zope", Permissive}, {"vim", Permissive}, {"pdm", Permissive}, {"public-domain", Permissive},
	{"licenseref-public-domain", Permissive}, {"licenseref-pyvet-publicdomain", Permissive}, {"licenseref-pyvet-bsd", Permissive},
	{"licenseref-pyvet-mit", Permissive}, {"licenseref-pyvet-apache", Permissive},
	{"licenseref-pyvet-gpl", StrongCopyleft}, {"licenseref-pyvet-agpl", StrongCopyleft}, {"licenseref-pyvet-lgpl", WeakCopyleft},
	{"licenseref-pyvet-mpl", WeakCopyleft},
}

// linkingExceptions turn a GPL into a weak copyleft for code that only links to it.
var linkingExceptions = map[string]bool{
	"classpath-exception-2.0": true, "gcc-exception-3.1": true, "gcc-exception-2.0": true, "llvm-exception": true,
	"openjdk-assembly-exception-1.0": true, "universal-foss-exception-1.0": true, "bison-exception-2.2": true,
	"autoconf-exception-3.0": true, "libtool-exception": true, "font-exception-2.0": true,
}

// ClassOf classifies one SPDX license id (with an optional WITH exception).
func ClassOf(id, exception string) Class {
	l := strings.ToLower(strings.TrimSuffix(id, "+"))
	for _, r := range classPrefixes {
		if strings.HasPrefix(l, r.prefix) {
			if r.class == StrongCopyleft && linkingExceptions[strings.ToLower(exception)] {
				return WeakCopyleft
			}
			return r.class
		}
	}
	return Unknown
}

// Class classifies an expression: OR lets the user choose the least
// restrictive option, AND imposes the most restrictive one. An unknown
// operand of AND makes the whole unknown; in OR it is chosen only when every
// option is unknown.
func (e *Expr) Class() Class {
	if e.Op == "" {
		return ClassOf(e.ID, e.Exception)
	}
	var best Class
	for i, a := range e.Args {
		c := a.Class()
		if i == 0 {
			best = c
			continue
		}
		if e.Op == "AND" {
			if c.rank() > best.rank() {
				best = c
			}
		} else if c.rank() < best.rank() {
			best = c
		}
	}
	return best
}

// Deprecated reports whether an id is a deprecated SPDX id.
func Deprecated(id string) bool {
	e, ok := licenseByLower[strings.ToLower(strings.TrimSuffix(id, "+"))]
	return ok && e.Flags&flagDeprecated != 0
}

// OSIApproved reports whether the SPDX list marks id as OSI approved.
func OSIApproved(id string) bool {
	e, ok := licenseByLower[strings.ToLower(strings.TrimSuffix(id, "+"))]
	return ok && e.Flags&flagOSI != 0
}

// Name returns the full name of an SPDX id ("" when unknown).
func Name(id string) string {
	if e, ok := licenseByLower[strings.ToLower(strings.TrimSuffix(id, "+"))]; ok {
		return e.Name
	}
	return ""
}
