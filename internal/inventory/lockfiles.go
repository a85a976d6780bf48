package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
)

// Helpers the lockfile formats share.

// checkLockVersion rejects lockfiles of a version this reader does not know,
// and files that are neither versioned nor hold any package.
func checkLockVersion(file, kind, key, version string, packages int, prefixes ...string) error {
	if version == "" {
		if packages == 0 {
			return errf(file, 0, "not a %s: no %s and no packages", kind, key)
		}
		return nil
	}
	for _, p := range prefixes {
		if strings.HasPrefix(version, p) {
			return nil
		}
	}
	return errf(file, 0, "unsupported %s %s %s", kind, key, safeio.Excerpt(version))
}

// addFileHashes adds the hashes of a package's files to its Hashes
// (finish removes duplicates).
func addFileHashes(p *Package) {
	n := len(p.Hashes)
	for _, f := range p.Files {
		n += len(f.Hashes)
	}
	p.Hashes = slices.Grow(p.Hashes, n-len(p.Hashes))
	for _, f := range p.Files {
		p.Hashes = append(p.Hashes, f.Hashes...)
	}
}

// jsonError gives a JSON syntax error its line.
func jsonError(file string, data []byte, err error) *ParseError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errf(file, lineOf(data, int(se.Offset)), "invalid JSON: %s", boundedError(err))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errf(file, 0, "empty file")
	}
	return errf(file, 0, "%s", boundedError(err))
}
