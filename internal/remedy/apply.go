package remedy

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/inventory"
)

// FileChange is the new content of one rewritten file.
type FileChange struct {
	Path string `json:"path"`
	Old  []byte `json:"-"`
	New  []byte `json:"-"`
}

// Diff is the unified diff of the change.
func (c FileChange) Diff() string { return UnifiedDiff(c.Path, c.Old, c.New) }

// Result is what applying a plan did (or, in a dry run, would do).
type Result struct {
	Plan     *Plan        `json:"plan"`
	Files    []FileChange `json:"-"`
	Edits    []Edit       `json:"edits"`
	Commands []string     `json:"commands,omitempty"` // lockfile upgrade commands to run
	Manual   []string     `json:"manual,omitempty"`   // declarations that need a hand edit
}

// Rewrite computes the new content of every requirements file and
// pyproject.toml of inv that declares a package the plan upgrades, and the
// upgrade commands for its lockfiles. It reads the files but writes nothing;
// see Write.
func Rewrite(inv *inventory.Inventory, plan *Plan) (*Result, error) {
	res := &Result{Plan: plan}
	changes := map[string]Change{}
	for _, f := range plan.Fixes {
		if f.To != "" {
			changes[f.Name] = Change{Name: f.Name, To: f.To, Hashes: f.Hashes}
		}
	}
	if len(changes) == 0 {
		return res, nil
	}
	formats := map[string]string{}
	for _, s := range inv.Sources {
		formats[s.Path] = s.Format
	}
	// Files that declare a package to change, with their format.
	files := map[string]string{}
	declared := map[string]map[string]bool{} // format -> names declared in such files
	direct := map[string]bool{}
	for _, p := range inv.Packages {
		if p == nil {
			continue
		}
		n := normalize(p.Name)
		if _, ok := changes[n]; !ok {
			continue
		}
		if p.Direct {
			direct[n] = true
		}
		for _, l := range p.Locations {
			f := formats[l.File]
			if f == "" {
				f = guessFormat(l.File)
			}
			files[l.File] = f
			if declared[f] == nil {
				declared[f] = map[string]bool{}
			}
			declared[f][n] = true
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	edited := map[string]bool{}
	for _, path := range paths {
		format := files[path]
		if strings.Contains(path, "://") {
			continue // a requirements file included by URL cannot be edited
		}
		var rewrite func(string, []byte, map[string]Change) ([]byte, []Edit, error)
		switch format {
		case "requirements":
			rewrite = func(p string, d []byte, c map[string]Change) ([]byte, []Edit, error) {
				out, e := RewriteRequirements(p, d, c)
				return out, e, nil
			}
		case "pyproject.toml", "pyproject":
			rewrite = RewritePyproject
		case "Pipfile":
			rewrite = RewritePipfile
		default:
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
		}
		out, edits, err := rewrite(path, data, changes)
		if err != nil {
			return nil, err
		}
		for _, e := range edits {
			if e.Skipped == "" {
				edited[e.Name] = true
			} else {
				res.Manual = append(res.Manual, fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Name, e.Skipped))
			}
		}
		res.Edits = append(res.Edits, edits...)
		if string(out) != string(data) {
			res.Files = append(res.Files, FileChange{Path: path, Old: data, New: out})
		}
	}
	handled := map[string]bool{}
	names := make([]string, 0, len(changes))
	for n := range changes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, format := range sortedKeys(declared) {
		for _, n := range names {
			if !declared[format][n] {
				continue
			}
			if cmd := lockCommand(format, n, changes[n].To, direct[n] && !edited[n]); cmd != "" {
				res.Commands = append(res.Commands, cmd)
				handled[n] = true
			}
		}
	}
	for _, n := range names {
		if !edited[n] && !handled[n] {
			res.Manual = append(res.Manual, fmt.Sprintf("%s: no requirements file, pyproject.toml or lockfile to update; move it to %s by hand", n, changes[n].To))
		}
	}
	return res, nil
}

func sortedKeys(m map[string]map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// guessFormat names a file's format from its name when the inventory does not say.
func guessFormat(path string) string {
	base := strings.ToLower(filepath.Base(path))
	switch {
	case base == "pyproject.toml":
		return "pyproject.toml"
	case base == "uv.lock", base == "poetry.lock", base == "pdm.lock":
		return base
	case base == "pipfile.lock":
		return "Pipfile.lock"
	case base == "pipfile":
		return "Pipfile"
	case strings.HasPrefix(base, "pylock.") && strings.HasSuffix(base, ".toml"):
		return "pylock.toml"
	case strings.HasSuffix(base, ".txt") || strings.HasSuffix(base, ".in"):
		return "requirements"
	}
	return ""
}

// lockCommand is the owning tool's command that moves a lockfile's package
// to version to. addDirect asks Poetry to raise the declared constraint.
func lockCommand(format, name, to string, addDirect bool) string {
	switch format {
	case "uv.lock":
		return fmt.Sprintf("uv lock --upgrade-package %s==%s", name, to)
	case "poetry.lock":
		if addDirect {
			return fmt.Sprintf("poetry add %s@^%s", name, to)
		}
		return "poetry update " + name
	case "pdm.lock":
		return "pdm update " + name
	case "Pipfile.lock", "Pipfile":
		return fmt.Sprintf("pipenv upgrade %s==%s", name, to)
	case "pylock.toml":
		return fmt.Sprintf("# regenerate pylock.toml with the tool that created it, after moving %s to %s", name, to)
	}
	return ""
}

// Write stores every changed file in place (through a temporary file renamed
// over the original, keeping its permissions).
func Write(files []FileChange) error {
	for _, f := range files {
		info, err := os.Stat(f.Path)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, unwrapPathError(err))
		}
		tmp, err := os.CreateTemp(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".pyvet-*")
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, unwrapPathError(err))
		}
		_, werr := tmp.Write(f.New)
		cerr := tmp.Close()
		if werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Chmod(tmp.Name(), info.Mode().Perm())
		}
		if werr == nil {
			werr = os.Rename(tmp.Name(), f.Path)
		}
		if werr != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("%s: %w", f.Path, unwrapPathError(werr))
		}
	}
	return nil
}

// Summary is a human-readable account of a result.
func (r *Result) Summary() string {
	var b strings.Builder
	for _, f := range r.Plan.Fixes {
		fmt.Fprintf(&b, "%s\n", f)
	}
	for _, e := range r.Edits {
		if e.Skipped != "" {
			continue
		}
		fmt.Fprintf(&b, "  %s:%d: %s %q -> %q", e.File, e.Line, e.Name, e.Old, e.New)
		switch {
		case e.HashesRefreshed:
			b.WriteString(" (hashes refreshed from the index)")
		case e.NeedsHashRefresh:
			b.WriteString(" (needs --hash refresh: the hashes still name the old version's files)")
		}
		b.WriteByte('\n')
	}
	for _, m := range r.Manual {
		fmt.Fprintf(&b, "  manual: %s\n", m)
	}
	if len(r.Commands) > 0 {
		b.WriteString("Run to update lockfiles:\n")
		for _, c := range r.Commands {
			fmt.Fprintf(&b, "  %s\n", c)
		}
	}
	return b.String()
}
