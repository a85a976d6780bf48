package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// requirementsFormat is a pip requirements or constraints file.
var requirementsFormat = FileFormat{
	Name:    FormatRequirements,
	Aliases: []string{"constraints"},
	Kind:    KindRequirements,
	Match: func(p string) bool {
		lower := strings.ToLower(filepath.Base(p))
		return strings.HasPrefix(lower, "requirements") || strings.HasSuffix(lower, ".txt") || strings.HasSuffix(lower, ".in") ||
			strings.HasSuffix(lower, "requirements.ini") || strings.HasSuffix(lower, ".pip")
	},
	Examples:     []string{"requirements.txt", "requirements-dev.txt", "requirements/base.txt", "requirements-test.in"},
	ProjectFiles: requirementsFiles,
	MarksProject: []string{"requirements.txt"},
	Parse:        ParseRequirements,
}

// requirementsFiles are the requirements files of a project: requirements*
// and requirements/* (.txt and .in), sorted; a compiled requirements.txt
// supersedes its requirements.in.
func requirementsFiles(dir string) []string {
	reqs := globSorted(dir, "requirements*.txt", "requirements/*.txt", "requirements*.in", "requirements/*.in")
	have := map[string]bool{}
	for _, r := range reqs {
		have[r] = true
	}
	var out []string
	for _, r := range reqs {
		if strings.HasSuffix(r, ".in") && have[strings.TrimSuffix(r, ".in")+".txt"] {
			continue
		}
		out = append(out, r)
	}
	return out
}

// ParseRequirements reads a pip requirements file (data is the content of
// file). -r and -c includes are read relative to the including file unless
// opts.NoIncludes is set. Each included file is read once however often it
// is included; an include cycle, a missing included file and, unless
// opts.AllowOutsideIncludes is set, an include outside the project (see
// projectRoot) or into /proc, /dev or /sys are errors naming file:line.
func ParseRequirements(file string, data []byte, opts Options) (*Inventory, error) {
	rp := newReqParser(file, opts, &Inventory{})
	if err := rp.parse(file, data, false, nil); err != nil {
		return nil, err
	}
	rp.applyVia()
	return finish(rp.inv, opts), nil
}

// newReqParser returns a parser of the requirements file file (or of the
// pip lines of another format's file) adding to inv.
func newReqParser(file string, opts Options, inv *Inventory) *reqParser {
	rp := &reqParser{opts: opts, inv: inv, done: map[string]bool{}, open: map[string]bool{}}
	if !opts.AllowOutsideIncludes {
		rp.root = projectRoot(file)
		rp.rootReal = rp.root
		if real, err := filepath.EvalSymlinks(rp.root); err == nil {
			rp.rootReal = real
		}
	}
	return rp
}

type reqParser struct {
	opts     Options
	inv      *Inventory
	via      map[*Package][]string // pip-compile "# via" annotations
	root     string                // project root includes must stay in ("" when not checked)
	rootReal string                // root with symbolic links resolved
	done     map[string]bool       // included files already read: absolute path + kind
	open     map[string]bool       // files on the include stack, by absolute path
}

// utf8BOM starts some requirements files written on Windows; pip ignores it.
const utf8BOM = "\ufeff"

// projectRoot is the directory includes of the requirements file must stay
// in: its nearest ancestor directory holding .git or pyproject.toml, else
// the file's own directory.
func projectRoot(file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	dir := filepath.Dir(abs)
	for d := dir; ; {
		for _, marker := range []string{".git", "pyproject.toml"} {
			if _, err := os.Lstat(filepath.Join(d, marker)); err == nil {
				return d
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

// systemDirs hold files that are never dependency files and may hold
// secrets (/proc/self/environ) or never end (/dev/zero).
var systemDirs = []string{"/proc", "/dev", "/sys"}

// within reports whether path is dir or below it (both clean and absolute).
func within(path, dir string) bool {
	if path == dir || dir == "/" {
		return true
	}
	return strings.HasPrefix(path, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

// outsideReason says why the include abs may not be read ("" when it may):
// it is in a system directory or outside the project root, as written or
// with symbolic links resolved.
func (rp *reqParser) outsideReason(abs string) string {
	type check struct{ path, root string }
	checks := []check{{abs, rp.root}}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		checks = append(checks, check{real, rp.rootReal})
	}
	for _, c := range checks {
		for _, d := range systemDirs {
			if within(c.path, d) {
				return "it is in " + d
			}
		}
		if !within(c.path, c.root) {
			return "it is outside the project " + safeio.Excerpt(rp.root)
		}
	}
	return ""
}

// mayRead reports whether a file a requirements line points at (a local
// project's pyproject.toml) may be read: it is inside the project, or the
// user allowed files outside it.
func (rp *reqParser) mayRead(path string) bool {
	if rp.opts.AllowOutsideIncludes {
		return true
	}
	abs, err := filepath.Abs(path)
	return err == nil && rp.outsideReason(abs) == ""
}

var envVarRE = regexp.MustCompile(`\$\{([A-Z0-9_]+)\}`)

// stripComment removes a comment as pip's COMMENT_RE `(^|\s+)#.*$` does: a
// '#' at the start of the line or after whitespace starts it.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return strings.TrimRight(line[:i], " \t")
		}
	}
	return line
}

// isCommentLine reports whether pip's COMMENT_RE matches at the start of line.
func isCommentLine(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t\f\v"), "#")
}

// logicalLine is a requirements line after joining continuations.
type logicalLine struct {
	num  int
	text string
}

// joinLines follows pip's join_lines: a trailing backslash continues a line,
// a comment line ends a continuation.
func joinLines(data []byte) []logicalLine {
	var out []logicalLine
	var cur []string
	first := 0
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i, line := range lines {
		num := i + 1
		isComment := isCommentLine(line)
		if !strings.HasSuffix(line, `\`) || isComment {
			if isComment {
				line = " " + line
			}
			if cur != nil {
				cur = append(cur, line)
				out = append(out, logicalLine{first, strings.Join(cur, "")})
				cur = nil
			} else {
				out = append(out, logicalLine{num, line})
			}
			continue
		}
		if cur == nil {
			first = num
		}
		cur = append(cur, strings.TrimRight(line, `\`))
	}
	if cur != nil {
		out = append(out, logicalLine{first, strings.Join(cur, "")})
	}
	return out
}

func (rp *reqParser) parse(file string, data []byte, constraint bool, stack []string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	stack = append(stack, abs)
	rp.open[abs] = true
	defer delete(rp.open, abs)
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	format := "requirements"
	if constraint {
		format = "constraints"
	}
	rp.inv.Sources = append(rp.inv.Sources, SourceFile{Path: file, Format: format})
	var last *Package
	inVia := false
	for _, ll := range joinLines(data) {
		trimmed := strings.TrimSpace(ll.text)
		if strings.HasPrefix(trimmed, "#") {
			body := strings.TrimSpace(strings.TrimPrefix(trimmed, "#"))
			switch {
			case last != nil && (body == "via" || strings.HasPrefix(body, "via ")):
				rest := strings.TrimSpace(strings.TrimPrefix(body, "via"))
				inVia = rest == ""
				for _, e := range strings.Split(rest, ",") {
					rp.addVia(last, e)
				}
			case inVia && last != nil && body != "":
				rp.addVia(last, body)
			default:
				inVia = false
			}
			continue
		}
		inVia = false
		line := strings.TrimSpace(stripComment(ll.text))
		if line == "" {
			continue
		}
		line = envVarRE.ReplaceAllStringFunc(line, func(m string) string {
			if v, ok := rp.opts.lookupEnv(m[2 : len(m)-1]); ok {
				return v
			}
			return m
		})
		p, err := rp.parseLine(file, ll.num, line, constraint, stack)
		if err != nil {
			return err
		}
		if p != nil {
			last = p
		}
	}
	return nil
}

func (rp *reqParser) addVia(p *Package, entry string) {
	entry = strings.TrimSpace(entry)
	if entry == "" {
		return
	}
	if rp.via == nil {
		rp.via = map[*Package][]string{}
	}
	rp.via[p] = append(rp.via[p], entry)
}

// applyVia uses pip-compile / uv "# via" annotations: a package only required
// by other packages is transitive, and those packages are its parents.
func (rp *reqParser) applyVia() {
	byName := map[string]*Package{}
	for _, p := range rp.inv.Packages {
		byName[p.Name] = p
	}
	for p, entries := range rp.via {
		direct := false
		for _, e := range entries {
			if strings.HasPrefix(e, "-r ") || strings.HasPrefix(e, "-c ") || strings.Contains(e, "(") {
				direct = direct || strings.HasPrefix(e, "-r ") || strings.Contains(e, "(")
				continue
			}
			parent := canonicalName(strings.Fields(e)[0])
			if q, ok := byName[parent]; ok {
				q.Requires = append(q.Requires, p.Name) // finish sorts and dedupes edges
			} else {
				p.Parents = append(p.Parents, parent)
			}
		}
		p.Direct = direct && !p.Constraint
	}
}

// breakArgsOptions splits a line at the first token that starts with "-", as pip does.
func breakArgsOptions(line string) (args, options string) {
	tokens := strings.Split(line, " ")
	for i, t := range tokens {
		if strings.HasPrefix(t, "-") {
			return strings.Join(tokens[:i], " "), strings.Join(tokens[i:], " ")
		}
	}
	return line, ""
}

// reqOption is one parsed option of a requirements line.
type reqOption struct{ name, value string }

// optionsWithValue are the pip options that take a value, by every spelling.
var optionsWithValue = map[string]string{
	"-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c",
	"-e": "-e", "--editable": "-e", "-i": "-i", "--index-url": "-i",
	"--extra-index-url": "--extra-index-url", "-f": "-f", "--find-links": "-f",
	"--trusted-host": "--trusted-host", "--hash": "--hash",
	"--global-option": "--global-option", "--install-option": "--install-option",
	"-C": "--config-settings", "--config-settings": "--config-settings",
	"--no-binary": "--no-binary", "--only-binary": "--only-binary", "--use-feature": "--use-feature",
}

// optionsWithoutValue are the pip options that are flags.
var optionsWithoutValue = map[string]bool{
	"--no-index": true, "--pre": true, "--prefer-binary": true, "--require-hashes": true,
	"-Z": true, "--always-unzip": true,
}

func splitOptions(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		out = append(out, strings.Trim(f, `"'`))
	}
	return out
}

func parseOptions(file string, line int, s string) ([]reqOption, []string, error) {
	var opts []reqOption
	var warnings []string
	toks := splitOptions(s)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !strings.HasPrefix(t, "-") {
			continue // pip ignores stray words after options
		}
		name, value, hasValue := strings.Cut(t, "=")
		if canon, ok := optionsWithValue[name]; ok {
			if !hasValue {
				if i+1 >= len(toks) {
					return nil, nil, errf(file, line, "option %s needs a value", name)
				}
				i++
				value = toks[i]
			}
			opts = append(opts, reqOption{canon, value})
			continue
		}
		if optionsWithoutValue[name] {
			opts = append(opts, reqOption{name, ""})
			continue
		}
		// Short options written with their value attached: -rfile, -efoo, -ihttps://...
		if len(t) > 2 && t[1] != '-' {
			if canon, ok := optionsWithValue[t[:2]]; ok {
				opts = append(opts, reqOption{canon, t[2:]})
				continue
			}
		}
		warnings = append(warnings, fmt.Sprintf("%s:%d: unknown option %s ignored", file, line, safeio.Excerpt(name)))
	}
	return opts, warnings, nil
}

func (rp *reqParser) parseLine(file string, num int, line string, constraint bool, stack []string) (*Package, error) {
	args, optText := breakArgsOptions(line)
	// "-e TARGET [; marker]": the target runs to the end of the line or the
	// next long option, so extras with spaces and markers stay with it.
	editableLine := ""
	for _, pre := range []string{"-e ", "--editable ", "--editable="} {
		if rest, ok := strings.CutPrefix(line, pre); ok {
			editableLine = strings.TrimSpace(rest)
			optText = ""
			if i := strings.Index(editableLine, " --"); i >= 0 {
				editableLine, optText = strings.TrimSpace(editableLine[:i]), editableLine[i+1:]
			}
		}
	}
	opts, warnings, err := parseOptions(file, num, optText)
	if err != nil {
		return nil, err
	}
	if editableLine != "" {
		opts = append(opts, reqOption{"-e", editableLine})
	}
	rp.inv.Warnings = append(rp.inv.Warnings, warnings...)
	loc := Location{File: file, Line: num}
	var hashes []string
	editable := ""
	isEditable := false
	for _, o := range opts {
		switch o.name {
		case "-r", "-c":
			if err := rp.include(file, num, o.value, o.name == "-c" || constraint, stack); err != nil {
				return nil, err
			}
		case "-e":
			editable, isEditable = o.value, true
		case "-i":
			rp.inv.Index.IndexURL = RedactURL(o.value)
			rp.inv.Index.Locations = append(rp.inv.Index.Locations, loc)
		case "--extra-index-url":
			rp.inv.Index.ExtraIndexURLs = append(rp.inv.Index.ExtraIndexURLs, RedactURL(o.value))
			rp.inv.Index.Locations = append(rp.inv.Index.Locations, loc)
		case "-f":
			rp.inv.Index.FindLinks = append(rp.inv.Index.FindLinks, RedactURL(o.value))
			rp.inv.Index.Locations = append(rp.inv.Index.Locations, loc)
		case "--trusted-host":
			rp.inv.Index.TrustedHosts = append(rp.inv.Index.TrustedHosts, o.value)
			rp.inv.Index.Locations = append(rp.inv.Index.Locations, loc)
		case "--no-index":
			rp.inv.Index.NoIndex = true
			rp.inv.Index.Locations = append(rp.inv.Index.Locations, loc)
		case "--hash":
			if o.value != "" {
				hashes = append(hashes, hashString(o.value))
			}
		}
	}
	var p *Package
	switch {
	case isEditable:
		if p, err = rp.directReference(file, num, editable); err != nil {
			return nil, err
		}
		p.Source.Editable = true
	case args != "":
		if p, err = rp.requirement(file, num, strings.TrimSpace(args)); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	p.Locations = []Location{loc}
	p.Hashes = append(p.Hashes, hashes...)
	p.Constraint = constraint
	p.Direct = !constraint
	if p.Source.Kind == SourcePath && isProjectDir(file, p.Source.Path) {
		p.Project, p.Direct = true, false // "-e .": the project itself
	}
	rp.inv.Packages = append(rp.inv.Packages, p)
	return p, nil
}

// include reads a -r / -c file relative to the including one, once per
// file and kind however often it is included.
func (rp *reqParser) include(file string, num int, target string, constraint bool, stack []string) error {
	if rp.opts.NoIncludes {
		return nil
	}
	if strings.Contains(target, "://") {
		rp.inv.Warnings = append(rp.inv.Warnings, fmt.Sprintf("%s:%d: remote include %s not followed; its requirements are not in the inventory", file, num, safeio.Excerpt(target)))
		return nil
	}
	path := relDir(file, target)
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	if rp.open[abs] {
		var cycle []string
		for i, s := range stack {
			if s == abs {
				for _, c := range stack[i:] {
					cycle = append(cycle, filepath.Base(c))
				}
				break
			}
		}
		cycle = append(cycle, filepath.Base(abs))
		return errf(file, num, "include cycle %s", safeio.Excerpt(strings.Join(cycle, " -> ")))
	}
	key := abs + "\x00requirements"
	if constraint {
		key = abs + "\x00constraints"
	}
	if rp.done[key] {
		return nil // already read: a second include adds nothing
	}
	if !rp.opts.AllowOutsideIncludes {
		if why := rp.outsideReason(abs); why != "" {
			return errf(file, num, "refusing to include %s: %s (allow with --allow-outside-includes)", safeio.Excerpt(target), why)
		}
	}
	rp.done[key] = true
	data, err := rp.opts.readFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errf(file, num, "included file %s not found", safeio.Excerpt(target))
		}
		return errf(file, num, "cannot read included file %s: %s", safeio.Excerpt(target), readProblem(path, err))
	}
	return rp.parse(path, data, constraint, stack)
}

// clipName returns a name already checked to hold only name characters
// as it is, or an excerpt when it is long.
func clipName(s string) string {
	if len(s) <= safeio.ExcerptLen {
		return s
	}
	return safeio.Excerpt(s)
}

// readProblem describes a read error without repeating the path.
func readProblem(path string, err error) string {
	msg := pathError(err).Error()
	msg = strings.TrimPrefix(msg, path+": ")
	if len(msg) > 200 {
		msg = safeio.ExcerptN(msg, 120)
	}
	return msg
}

// urlSchemes are the schemes that make a requirements line a bare URL.
func isURL(s string) bool {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok {
		return false
	}
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "http", "https", "file", "ftp":
		return true
	}
	for _, pre := range vcsSchemes {
		if strings.HasPrefix(scheme, pre) {
			return true
		}
	}
	return false
}

func looksLikePath(s string) bool {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") || strings.ContainsAny(s, `/\`) {
		return true
	}
	_, _, ok := DistFilename(s)
	return ok && !strings.ContainsAny(s, "=<>!~;")
}

var pep508DirectRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@`)

// requirement parses the requirement part of a line: PEP 508, bare URL or path.
func (rp *reqParser) requirement(file string, num int, s string) (*Package, error) {
	head := strings.TrimSpace(strings.SplitN(s, ";", 2)[0])
	if isURL(s) || (!pep508DirectRE.MatchString(s) && looksLikePath(head)) {
		return rp.directReference(file, num, s)
	}
	p, err := parseRequirementString(file, num, s)
	if err != nil {
		// An unset ${VAR} leaves the line unparsable, as it does for pip. Keep
		// the package, unpinned, and say why instead of failing the whole file.
		if m := envVarRE.FindStringSubmatch(s); m != nil {
			if name := leadingName(s); name != "" && pep508.ValidName(name) {
				rp.inv.Warnings = append(rp.inv.Warnings, fmt.Sprintf("%s:%d: environment variable %s is not set; %s is treated as unpinned", file, num, clipName(m[1]), clipName(name)))
				p = newPackage(name)
				return p, nil
			}
		}
		return nil, err
	}
	return p, nil
}

var nonNameRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

var extrasSuffixRE = regexp.MustCompile(`^(.+?)(\[[^\]]*\])\s*$`)

// directReference handles bare URLs, VCS URLs and local paths (with -e or not).
func (rp *reqParser) directReference(file string, num int, s string) (*Package, error) {
	target, marker := s, ""
	sep := ";"
	if isURL(s) {
		sep = "; "
	}
	if i := strings.Index(s, sep); i >= 0 {
		target, marker = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+len(sep):])
	}
	var extras []string
	if m := extrasSuffixRE.FindStringSubmatch(target); m != nil && !strings.Contains(m[2], "/") {
		target = strings.TrimSpace(m[1])
		for _, e := range strings.Split(strings.Trim(m[2], "[]"), ",") {
			extras = append(extras, strings.TrimSpace(e))
		}
	}
	if target == "" {
		return nil, errf(file, num, "empty requirement")
	}
	src := SourceFromURL(target)
	if src.Kind == SourcePath && !filepath.IsAbs(src.Path) {
		src.Path = filepath.ToSlash(relDir(file, src.Path))
	}
	name := fragmentParam(target, "egg")
	version := ""
	if n, v, ok := DistFilename(strings.SplitN(target, "#", 2)[0]); ok && src.Kind != SourceVCS {
		if name == "" {
			name = n
		}
		version = v
	}
	if name == "" && src.Kind == SourcePath && rp.mayRead(filepath.Join(src.Path, "pyproject.toml")) {
		name = localProjectName(rp.opts, src.Path)
	}
	if name == "" && src.Kind == SourcePath {
		// As for pip, a path must exist. Named by an #egg= fragment or an
		// archive's file name it is kept (the checkout may not be here), but a
		// line that is neither a requirement, a URL nor an existing path (a
		// line of a file that is no requirements file) is an error quoting an
		// excerpt, never a package named after the end of the line.
		if _, err := os.Stat(src.Path); err != nil {
			return nil, errf(file, num, "invalid requirement %s: not a requirement, a URL or an existing path", safeio.Excerpt(target))
		}
	}
	if name == "" {
		base := strings.TrimSuffix(strings.TrimRight(strings.SplitN(src.URL+src.Path, "#", 2)[0], "/"), ".git")
		if i := strings.LastIndexAny(base, `/\`); i >= 0 {
			base = base[i+1:]
		}
		base, _, _ = strings.Cut(base, "[") // unterminated extras: ./pkg[dev
		name = strings.Trim(nonNameRE.ReplaceAllString(base, "-"), "-._")
		if name == "" {
			return nil, errf(file, num, "cannot tell the project name of %s", safeio.Excerpt(target))
		}
		rp.inv.Warnings = append(rp.inv.Warnings, fmt.Sprintf("%s:%d: no #egg= name for %s; assuming project %s", file, num, safeio.Excerpt(target), safeio.Excerpt(name)))
	}
	p := newPackage(name)
	p.Source = src
	p.Version = version
	p.Extras = extras
	p.Marker = marker
	return p, nil
}

// localProjectName reads [project].name or [tool.poetry].name of a local
// project directory, or "" when it has none.
func localProjectName(opts Options, dir string) string {
	data, err := opts.readFile(filepath.Join(dir, "pyproject.toml"))
	if err != nil {
		return ""
	}
	var doc struct {
		Project struct{ Name string }
		Tool    struct{ Poetry struct{ Name string } }
	}
	if decodeTOML("pyproject.toml", data, &doc) != nil {
		return ""
	}
	if doc.Project.Name != "" {
		return doc.Project.Name
	}
	return doc.Tool.Poetry.Name
}
