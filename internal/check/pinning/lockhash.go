package pinning

import (
	"fmt"
	"path/filepath"

	"github.com/pyvet/pyvet/internal/inventory"
)

// lockRules reports lockfiles whose recorded content hash does not match
// their project file.
func (c *checker) lockRules() {
	for _, path := range c.sortedFiles() {
		st, err := c.lockStatus(inventory.SourceFormat(inventory.SourceFile{Path: path, Format: c.formats[path]}), path)
		if err != nil || st == nil || st.Fresh {
			continue
		}
		loc := &inventory.Location{File: path, Line: st.Line}
		c.add(RuleLockStale, nil, loc,
			fmt.Sprintf("%s is out of date with %s", filepath.Base(path), filepath.Base(st.Project)),
			fmt.Sprintf("The lockfile records content hash %s; %s now hashes to %s.", short(st.Recorded), filepath.Base(st.Project), short(st.Computed)),
			map[string]string{"recorded": st.Recorded, "computed": st.Computed, "project": st.Project})
	}
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// LockFresh reports whether the lockfile at path matches the project file
// next to it, as its format computes the hash it records (poetry.lock,
// pdm.lock and Pipfile.lock record one). ok is false when the file is not
// such a lockfile, records no content hash, or has no project file.
func LockFresh(path string, readFile func(string) ([]byte, error)) (fresh, ok bool, err error) {
	c := &checker{cfg: Config{ReadFile: readFile}}
	st, err := c.lockStatus(inventory.FormatByName(path), path)
	if err != nil || st == nil {
		return false, false, err
	}
	return st.Fresh, true, nil
}

// lockStatus compares the lockfile at path, of format f, with its project
// file; nil when f is not a lockfile format that records a content hash,
// the lockfile records none, or the project file is missing.
func (c *checker) lockStatus(f *inventory.FileFormat, path string) (*inventory.LockState, error) {
	if f == nil || f.Lock == nil || f.Lock.Fresh == nil {
		return nil, nil
	}
	data, err := c.cfg.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return f.Lock.Fresh(path, data, c.cfg.ReadFile)
}
