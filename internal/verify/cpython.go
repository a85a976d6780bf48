package verify

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// ReleaseManager is the Sigstore identity that signs a CPython release series.
type ReleaseManager struct {
	Series   []string `yaml:"series" json:"series"` // "3.12", "3.13"
	Identity string   `yaml:"identity" json:"identity"`
	Issuer   string   `yaml:"issuer" json:"issuer"`
	Note     string   `yaml:"note,omitempty" json:"note,omitempty"`
}

// CPythonSigners is the table python.org publishes ("Sigstore information"):
// which identity and OIDC issuer sign each release series. Users can replace
// or extend it with LoadSigners.
var CPythonSigners = []ReleaseManager{
	{Series: []string{"3.7"}, Identity: "nad@python.org", Issuer: "https://github.com/login/oauth"},
	{Series: []string{"3.8", "3.9"}, Identity: "lukasz@langa.pl", Issuer: "https://github.com/login/oauth"},
	{Series: []string{"3.10", "3.11"}, Identity: "pablogsal@python.org", Issuer: "https://accounts.google.com"},
	{Series: []string{"3.12", "3.13"}, Identity: "thomas@python.org", Issuer: "https://accounts.google.com"},
	{Series: []string{"3.14", "3.15"}, Identity: "hugo@python.org", Issuer: "https://github.com/login/oauth"},
	{Series: []string{"3.16", "3.17"}, Identity: "savannah@python.org", Issuer: "https://github.com/login/oauth", Note: "planned"},
}

// MaxSignerTable caps the size of a signer table file.
const MaxSignerTable = 1 << 20

// LoadSigners reads a YAML list of release managers (series, identity,
// issuer) from a regular file of at most MaxSignerTable bytes. Entries are
// tried before the built-in table, so a file can add a re-signing release
// manager or override a series.
func LoadSigners(path string) ([]ReleaseManager, error) {
	data, err := safeio.ReadFile(path, MaxSignerTable)
	if err != nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("signer table %s: %w", path, sigstore.FileError(err))}
	}
	return ParseSigners(data, path)
}

// ParseSigners decodes a signer table; name is used in errors.
func ParseSigners(data []byte, name string) ([]ReleaseManager, error) {
	var out []ReleaseManager
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("signer table %s: %s", name, sigstore.Detail(err.Error()))}
	}
	for i, rm := range out {
		if len(rm.Series) == 0 || rm.Identity == "" || rm.Issuer == "" {
			return nil, &sigstore.InputError{Err: fmt.Errorf("signer table %s: entry %d needs series, identity and issuer", name, i+1)}
		}
	}
	return out, nil
}

var cpythonVersion = regexp.MustCompile(`(?i)(?:python|cpython)-?(\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)`)

// CPythonVersion infers the release version from an artifact file name
// (Python-3.12.5.tgz, python-3.13.0-amd64.exe, python-3.14.0rc1-macos11.pkg).
func CPythonVersion(file string) (string, bool) {
	m := cpythonVersion.FindStringSubmatch(file)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// CPythonIdentities returns the identities expected for a release version and
// a sentence saying why, from the extra table first, then the built-in one.
func CPythonIdentities(version string, extra []ReleaseManager) ([]sigstore.Identity, string, error) {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return nil, "", fmt.Errorf("version %s is not X.Y.Z", safeio.Excerpt(version))
	}
	series := parts[0] + "." + parts[1]
	var ids []sigstore.Identity
	var why []string
	for _, tbl := range [][]ReleaseManager{extra, CPythonSigners} {
		for _, rm := range tbl {
			for _, s := range rm.Series {
				if s == series {
					ids = append(ids, sigstore.Identity{SAN: rm.Identity, Issuer: rm.Issuer})
					why = append(why, fmt.Sprintf("%s (issuer %s)", rm.Identity, rm.Issuer))
				}
			}
		}
		if len(ids) > 0 {
			break
		}
	}
	if len(ids) == 0 {
		return nil, "", fmt.Errorf("no release manager identity known for CPython %s (series %s); pass --identities FILE", safeio.Excerpt(version), safeio.Excerpt(series))
	}
	return ids, fmt.Sprintf("CPython %s is signed by the release manager of the %s series: %s", version, series, strings.Join(why, " or ")), nil
}
