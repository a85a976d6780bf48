package policy

import (
	"os"
	"path/filepath"
	"strings"
)

// LoadForPaths returns the effective policy of a run over paths (the
// arguments of audit, fix or sbom): the policy file fl.File when given, else
// the project's (see ProjectDir), then the flags. Every command that gates on
// findings reads its policy through it, so they agree on ignores, fail-on and
// disabled checks.
func LoadForPaths(paths []string, fl Flags) (*Policy, error) {
	return fl.Resolve(ProjectDir(paths))
}

// ProjectDir is the directory whose pyvet.toml and [tool.pyvet] apply to a
// run over paths: starting at the first path (or its directory; the current
// directory when there are none), the nearest directory holding pyvet.toml or
// pyproject.toml. The search goes up only within the current directory and
// stops at a repository root (a directory holding .git), so a file outside the
// project never supplies its policy. When nothing is found it is the start.
func ProjectDir(paths []string) string {
	start := "."
	if len(paths) > 0 && paths[0] != "" && paths[0] != "-" {
		start = paths[0]
		if st, err := os.Stat(start); err != nil || !st.IsDir() {
			start = filepath.Dir(start)
		}
	}
	abs, err := filepath.Abs(start)
	if err != nil {
		return start
	}
	cwd, err := os.Getwd()
	if err != nil {
		return start
	}
	for dir := abs; ; {
		if hasPolicy(dir) {
			return relTo(start, abs, dir)
		}
		if dir == cwd || !within(dir, cwd) || exists(filepath.Join(dir, ".git")) {
			return start
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return start
		}
		dir = parent
	}
}

// relTo writes found (an ancestor of abs, the absolute form of start) in the
// form start was given, so origins read "../pyvet.toml:3" rather than an
// absolute path when start was relative.
func relTo(start, abs, found string) string {
	if found == abs {
		return start
	}
	if filepath.IsAbs(start) {
		return found
	}
	up, err := filepath.Rel(abs, found)
	if err != nil {
		return found
	}
	return filepath.Join(start, up)
}

func hasPolicy(dir string) bool {
	return exists(filepath.Join(dir, FileName)) || exists(filepath.Join(dir, "pyproject.toml"))
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// within reports whether dir is root or below it.
func within(dir, root string) bool {
	if dir == root {
		return true
	}
	r, err := filepath.Rel(root, dir)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}
