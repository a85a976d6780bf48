package inventory

import (
	"net/url"
	"path"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// vcsSchemes are the URL prefixes pip treats as version control.
var vcsSchemes = []string{"git+", "hg+", "svn+", "bzr+"}

// SourceFromURL classifies a direct reference (as in `name @ URL`, a bare URL
// line, or a lockfile's url field): VCS URLs get their VCS, URL without the ref
// and the ref; file: URLs and paths become SourcePath; everything else SourceURL.
func SourceFromURL(raw string) Source {
	u := strings.TrimSpace(raw)
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	for _, pre := range vcsSchemes {
		if strings.HasPrefix(strings.ToLower(u), pre) {
			s := Source{Kind: SourceVCS, VCS: strings.TrimSuffix(pre, "+")}
			rest := u[len(pre):]
			// The ref follows the last '@' of the path (an '@' before the host is userinfo).
			start := 0
			if i := strings.Index(rest, "://"); i >= 0 {
				start = i + 3
				if j := strings.IndexByte(rest[start:], '/'); j >= 0 {
					start += j
				} else {
					start = len(rest)
				}
			}
			if i := strings.LastIndexByte(rest[start:], '@'); i >= 0 {
				s.Ref = rest[start+i+1:]
				rest = rest[:start+i]
			}
			s.URL = RedactURL(pre + rest)
			if isCommit(s.Ref) {
				s.Commit = s.Ref
			}
			return s
		}
	}
	if strings.HasPrefix(strings.ToLower(u), "file:") {
		p := strings.TrimPrefix(u, "file:")
		if pu, err := url.Parse(u); err == nil && pu.Path != "" {
			p = pu.Path
		}
		return Source{Kind: SourcePath, Path: p, URL: raw}
	}
	if strings.Contains(u, "://") {
		return Source{Kind: SourceURL, URL: RedactURL(strings.TrimSpace(raw))}
	}
	return Source{Kind: SourcePath, Path: u}
}

// RedactURL hides credentials in a URL as pip does in its logs: a password
// becomes "****", and so does a user name given without a password (a
// token). The result is safe to print and store in reports.
func RedactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	hostEnd := strings.IndexAny(rest, "/?#")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	at := strings.LastIndexByte(rest[:hostEnd], '@')
	if at < 0 {
		return raw
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if hasPassword {
		if strings.HasPrefix(user, "${") {
			return raw // an unexpanded variable is not a secret
		}
		return scheme + "://" + user + ":****" + rest[at:]
	}
	if user == "git" || strings.HasPrefix(user, "${") {
		return raw // ssh's conventional user, or an unexpanded variable
	}
	return scheme + "://****" + rest[at:]
}

// isCommit reports whether ref looks like a full commit id (40 or 64 hex digits).
func isCommit(ref string) bool {
	if len(ref) != 40 && len(ref) != 64 {
		return false
	}
	for _, c := range ref {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// fragmentParam returns a parameter of a URL fragment (#egg=name&subdirectory=x).
func fragmentParam(raw, key string) string {
	i := strings.IndexByte(raw, '#')
	if i < 0 {
		return ""
	}
	for _, kv := range strings.Split(raw[i+1:], "&") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// DistFilename splits a wheel or sdist file name into project name and version.
// ok is false when the name is not a distribution file name.
func DistFilename(file string) (name, version string, ok bool) {
	base := path.Base(strings.ReplaceAll(file, "\\", "/"))
	if i := strings.IndexAny(base, "?#"); i >= 0 {
		base = base[:i]
	}
	if strings.HasSuffix(base, ".whl") {
		parts := strings.Split(strings.TrimSuffix(base, ".whl"), "-")
		if len(parts) < 5 {
			return "", "", false
		}
		return parts[0], parts[1], true
	}
	for _, ext := range []string{".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar", ".egg"} {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			stem := base[:len(base)-len(ext)]
			if ext == ".egg" {
				parts := strings.Split(stem, "-")
				if len(parts) < 2 {
					return "", "", false
				}
				return parts[0], parts[1], true
			}
			i := strings.LastIndexByte(stem, '-')
			if i <= 0 || i == len(stem)-1 {
				return "", "", false
			}
			return stem[:i], stem[i+1:], true
		}
	}
	return "", "", false
}

// packageFromRequirement turns a parsed PEP 508 requirement into a package.
func packageFromRequirement(r *pep508.Requirement) *Package {
	p := newPackage(r.Name)
	p.Extras = append([]string(nil), r.Extras...)
	if r.Marker != nil {
		p.Marker = r.Marker.String()
	}
	if r.URL != "" {
		p.Source = SourceFromURL(r.URL)
		if _, v, ok := DistFilename(strings.SplitN(r.URL, "#", 2)[0]); ok && p.Source.Kind != SourceVCS {
			p.Version = v
		}
		return p
	}
	if v, ok := r.Specifier.ExactVersion(); ok {
		p.Version = v
	} else {
		p.Specifier = r.Specifier.String()
	}
	return p
}

// boundedError is the text of err, cut to a short excerpt when it is long
// (a parser's message may quote the input).
func boundedError(err error) string {
	msg := err.Error()
	if len(msg) > 160 {
		return safeio.ExcerptN(msg, 120)
	}
	return msg
}

// parseRequirementString parses a PEP 508 string into a package, reporting
// errors against file:line.
func parseRequirementString(file string, line int, s string) (*Package, error) {
	r, err := pep508.ParseRequirement(s)
	if err != nil {
		return nil, errf(file, line, "invalid requirement %s: %s", safeio.Excerpt(s), boundedError(err))
	}
	p := packageFromRequirement(r)
	p.Locations = []Location{{File: file, Line: line}}
	return p, nil
}
