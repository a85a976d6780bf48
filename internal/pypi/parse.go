package pypi

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// ParseProject parses a JSON API response (/pypi/NAME/json or /pypi/NAME/VERSION/json).
// name is used in error messages (a file name or URL).
func ParseProject(data []byte, name string) (*Project, error) {
	var p Project
	if err := json.Unmarshal(data, &p); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: invalid JSON at byte %d: %w", name, se.Offset, err)
		}
		return nil, fmt.Errorf("%s: not a PyPI JSON API response: %w", name, err)
	}
	if p.Info.Name == "" {
		return nil, fmt.Errorf("%s: not a PyPI JSON API response: no info.name", name)
	}
	return &p, nil
}

// checkHashes verifies data against the hashes an index gave (PEP 658/714); only
// sha256 / sha384 / sha512 are checked, unknown algorithms are ignored.
func checkHashes(data []byte, hashes map[string]string) error {
	for algo, want := range hashes {
		var h hash.Hash
		switch strings.ToLower(algo) {
		case "sha256":
			h = sha256.New()
		case "sha384":
			h = sha512.New384()
		case "sha512":
			h = sha512.New()
		default:
			continue
		}
		h.Write(data)
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
			return fmt.Errorf("%s mismatch: index says %s, file has %s", algo, want, got)
		}
	}
	return nil
}
