package remedy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/safeio"
)

// FileChange is the new content of one rewritten file.
type FileChange struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Old    []byte `json:"-"`
	New    []byte `json:"-"`
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
	// ManualNames are the packages of Manual, normalized.
	ManualNames []string `json:"-"`
	// FixVersions are the outcome of every planned target, as pip-audit's
	// fixes: applied (or, in a dry run, to apply) or skipped with the
	// reason.
	FixVersions []FixVersion `json:"-"`
}

// rewriter edits the declarations of one file of a format.
type rewriter func(path string, body []byte, cs *changeSet) ([]byte, []Edit, error)

// rewriters are the formats Rewrite edits in place: the project files that
// declare dependencies. Lockfiles are upgraded by their tool (see
// inventory.LockFormat.Upgrade).
var rewriters = map[inventory.Format]rewriter{
	inventory.FormatRequirements: func(path string, body []byte, cs *changeSet) ([]byte, []Edit, error) {
		out, edits := rewriteRequirements(path, body, cs)
		return out, edits, nil
	},
	inventory.FormatPyproject: func(path string, body []byte, cs *changeSet) ([]byte, []Edit, error) {
		return rewriteTOML(path, body, cs, classify)
	},
	inventory.FormatPipfile: func(path string, body []byte, cs *changeSet) ([]byte, []Edit, error) {
		return rewriteTOML(path, body, cs, classifyPipfile)
	},
}

// editable reports whether Rewrite edits files of the format in place.
func editable(f *inventory.FileFormat) bool { return f != nil && rewriters[f.Name] != nil }

// utf8BOM starts files some Windows editors write.
var utf8BOM = []byte("\xef\xbb\xbf")

// Rewrite computes the new content of every requirements file,
// pyproject.toml and Pipfile of inv that declares a package the plan
// upgrades, each declaration to its own target, and the upgrade commands
// for its lockfiles. Only the edited specifiers (and hashes) change: line
// endings, a missing final newline, a UTF-8 byte-order mark and bytes in
// any other encoding stay as they are. Every new content is parsed again
// before it is returned. Rewrite reads the files but writes nothing; see
// Write.
func Rewrite(inv *inventory.Inventory, plan *Plan) (*Result, error) {
	res := &Result{Plan: plan}
	seenAt := newOutcomes()
	formats := map[string]string{}
	for _, s := range inv.Sources {
		if _, ok := formats[s.Path]; !ok {
			formats[s.Path] = s.Format
		}
	}
	formatOf := func(file string) *inventory.FileFormat {
		return inventory.SourceFormat(inventory.SourceFile{Path: file, Format: formats[file]})
	}
	direct := map[string]bool{}
	for _, p := range inv.Packages {
		if p != nil && p.Direct {
			direct[normalize(p.Name)] = true
		}
	}
	manual := func(name, msg string) {
		res.Manual = append(res.Manual, msg)
		res.ManualNames = append(res.ManualNames, name)
	}
	// What each file has to change, and the lockfiles to upgrade.
	perFile := map[string]*changeSet{}
	type lockTarget struct {
		format   *inventory.FileFormat
		name, to string
		loc      inventory.Location
	}
	var locks []lockTarget
	type want struct {
		name, to string
		loc      inventory.Location
	}
	var wanted []want
	for fi := range plan.Fixes {
		f := &plan.Fixes[fi]
		for _, t := range f.Targets {
			if t.To == "" {
				continue
			}
			if len(t.Locations) == 0 {
				manual(f.Name, fmt.Sprintf("%s: no requirements file, pyproject.toml or lockfile to update; move it to %s by hand", f.Name, t.To))
			}
			for _, l := range t.Locations {
				format := formatOf(l.File)
				switch {
				case strings.Contains(l.File, "://") && editable(format):
					msg := fmt.Sprintf("%s: %s: included by URL, cannot be edited; move it to %s by hand", l.File, f.Name, t.To)
					manual(f.Name, msg)
					seenAt.set(f.Name, l, msg)
				case editable(format):
					if perFile[l.File] == nil {
						perFile[l.File] = newChangeSet()
					}
					perFile[l.File].add(f.Name, Change{Name: f.Name, To: t.To, Hashes: t.Hashes, Lines: []int{l.Line}})
					wanted = append(wanted, want{f.Name, t.To, l})
				case upgradeCommand(format, f.Name, t.To, false) != "":
					locks = append(locks, lockTarget{format, f.Name, t.To, l})
				default:
					msg := fmt.Sprintf("%s: %s: no requirements file, pyproject.toml or lockfile to update; move it to %s by hand", l.File, f.Name, t.To)
					manual(f.Name, msg)
					seenAt.set(f.Name, l, msg)
				}
			}
			if t.Residual != "" {
				manual(f.Name, fmt.Sprintf("%s %s -> %s %s", f.Name, t.From, t.To, t.Residual))
			}
		}
	}
	paths := make([]string, 0, len(perFile))
	for p := range perFile {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	edited := map[string]bool{} // names with an edit
	for _, path := range paths {
		format := formatOf(path)
		data, err := readDependencyFile(path)
		if err != nil {
			return nil, err
		}
		body := data
		bom := bytes.HasPrefix(data, utf8BOM)
		if bom {
			body = data[len(utf8BOM):]
		}
		out, edits, err := rewriters[format.Name](path, body, perFile[path])
		if err != nil {
			return nil, err
		}
		if bom {
			out = append(append([]byte(nil), utf8BOM...), out...)
		}
		for i := range edits {
			e := &edits[i]
			seenAt.edit(*e)
			if e.Skipped == "" {
				edited[e.Name] = true
			} else {
				manual(e.Name, fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Name, e.Skipped))
			}
		}
		res.Edits = append(res.Edits, edits...)
		if bytes.Equal(out, data) {
			continue
		}
		if err := validate(path, format, out); err != nil {
			return nil, err
		}
		name := formats[path]
		if name == "" {
			name = string(format.Name)
		}
		res.Files = append(res.Files, FileChange{Path: path, Format: name, Old: data, New: out})
	}
	for _, w := range wanted {
		// Every targeted declaration was found in its file (edited,
		// skipped, or already at the target).
		if !perFile[w.loc.File].matched(w.name, w.loc.Line) {
			msg := fmt.Sprintf("%s:%d: %s: the declaration was not found where the inventory placed it; move it to %s by hand", w.loc.File, w.loc.Line, w.name, w.to)
			manual(w.name, msg)
			seenAt.set(w.name, w.loc, msg)
		} else if _, ok := seenAt.sites[siteKey{w.name, w.loc.File, w.loc.Line}]; !ok {
			seenAt.set(w.name, w.loc, "") // already at the target
		}
	}
	seen := map[string]bool{}
	sort.SliceStable(locks, func(i, j int) bool {
		if locks[i].format.Name != locks[j].format.Name {
			return locks[i].format.Name < locks[j].format.Name
		}
		return locks[i].name < locks[j].name
	})
	for _, l := range locks {
		cmd := upgradeCommand(l.format, l.name, l.to, direct[l.name] && !edited[l.name])
		seenAt.set(l.name, l.loc, fmt.Sprintf("%s is a lockfile, which fix does not edit: run %s", l.loc.File, cmd))
		if !seen[cmd] {
			seen[cmd] = true
			res.Commands = append(res.Commands, cmd)
		}
	}
	res.FixVersions = seenAt.fixVersions(plan)
	return res, nil
}

// readDependencyFile reads a file to rewrite: a regular file (symlinks
// followed) of bounded size. The error names the file.
func readDependencyFile(path string) ([]byte, error) {
	data, err := safeio.ReadFile(path, safeio.MaxTextFile)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %w", path, pe.Err)
		}
		if !strings.Contains(err.Error(), path) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return data, nil
}

// validate parses a rewritten file again: a rewrite never produces a file
// the project's tools cannot read.
func validate(path string, format *inventory.FileFormat, data []byte) error {
	data = bytes.TrimPrefix(data, utf8BOM)
	if _, err := format.Parse(path, data, inventory.Options{NoIncludes: true}); err != nil {
		return fmt.Errorf("%s: the rewritten file would not parse, nothing was written: %v", path, err)
	}
	return nil
}

// upgradeCommand is the lock tool's command that moves a lockfile's
// package to version to (see inventory.LockFormat.Upgrade); "" when format
// is not a lockfile format.
func upgradeCommand(format *inventory.FileFormat, name, to string, addDirect bool) string {
	if format == nil || format.Lock == nil || format.Lock.Upgrade == nil {
		return ""
	}
	return format.Lock.Upgrade(name, to, addDirect)
}

// lockCommand is upgradeCommand for the format named format.
func lockCommand(format, name, to string, addDirect bool) string {
	return upgradeCommand(inventory.FormatOf(format), name, to, addDirect)
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
		if e.HashesRefreshed {
			b.WriteString(" (hashes refreshed from the index)")
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
	for _, n := range r.Plan.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}
