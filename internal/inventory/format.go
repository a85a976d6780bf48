package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Format names an input format. The values are what SourceFile.Format holds.
type Format string

// The formats Detect recognizes. The file formats are described by their
// FileFormat (see Formats); the directory kinds are read by Load.
const (
	FormatUnknown      Format = ""
	FormatRequirements Format = "requirements"
	FormatPyproject    Format = "pyproject.toml"
	FormatPoetryLock   Format = "poetry.lock"
	FormatPipfile      Format = "Pipfile"
	FormatPipfileLock  Format = "Pipfile.lock"
	FormatPDMLock      Format = "pdm.lock"
	FormatUVLock       Format = "uv.lock"
	FormatPylock       Format = "pylock.toml"
	FormatCondaEnv     Format = "environment.yml"
	FormatCondaMeta    Format = "conda-meta"
	FormatSetupCfg     Format = "setup.cfg"
	FormatMetadata     Format = "metadata"      // a METADATA / PKG-INFO file
	FormatDistInfo     Format = "dist-info"     // an installed *.dist-info / *.egg-info
	FormatSitePackages Format = "site-packages" // a directory of installed distributions
	FormatVirtualenv   Format = "virtualenv"    // a virtualenv or Python prefix
	FormatArchive      Format = "archive"       // a wheel, egg or sdist
	FormatProject      Format = "project"       // a project directory
	FormatSBOM         Format = "sbom"          // a CycloneDX or SPDX JSON document (see ParseSBOM)
)

// Kind says what a file format records, for the checks and fixes that
// treat files by what they are.
type Kind int

// The kinds of file formats.
const (
	KindOther        Kind = iota // installed metadata, archives, conda files, SBOMs
	KindRequirements             // pip requirements and constraints files
	KindManifest                 // project files that declare ranges: pyproject.toml, Pipfile, setup.cfg
	KindLock                     // lockfiles (FileFormat.Lock is set)
)

// FileFormat describes one format of single files: how a file is
// recognised, how it is parsed into an Inventory, and what the format
// knows about itself. Each format is declared in its own file and listed
// once, in formats.
type FileFormat struct {
	// Name is the format's name, the SourceFile.Format its parser records.
	Name Format
	// Aliases are the other SourceFile.Format values its parser records
	// ("constraints" for requirements files included with -c, "wheel" for
	// archives).
	Aliases []string
	// Kind says what the files record.
	Kind Kind
	// Match reports whether a path names a file of this format (its base
	// name; for a few formats its directory). The formats are asked in
	// the order of formats; the first that matches wins.
	Match func(path string) bool
	// Sniff reports whether the first bytes of a file whose name says
	// nothing are this format; head has its surrounding space trimmed.
	// Nil: never recognised by content.
	Sniff func(head []byte) bool
	// SniffStrength orders the sniffers: a format whose signature is more
	// specific has a higher strength and is asked first.
	SniffStrength int
	// ProjectFiles lists the files of this format a scan of the project
	// directory dir reads, in order. Nil: a project scan reads none.
	ProjectFiles func(dir string) []string
	// Examples are names of files of this format, relative to a project
	// directory, that ProjectFiles finds (required when ProjectFiles is
	// set: tests check them against Match and the pre-commit hook).
	Examples []string
	// MarksProject are file names whose presence makes a directory that
	// also holds installed distributions a project, not an environment.
	MarksProject []string
	// DeclaresDirect says the format's packages are what the project
	// depends on directly: in a project scan they tell the lockfiles that
	// record no root (LockFormat.GuessesRoots) which packages are direct.
	DeclaresDirect bool
	// Parse reads one file (data is its content).
	Parse func(file string, data []byte, opts Options) (*Inventory, error)
	// ParsePath, when set, reads a file in place instead of whole (wheels
	// can be GiBs); ParseFile uses it unless Options.ReadFile is set.
	ParsePath func(path string, opts Options) (*Inventory, error)
	// MaxSize caps the bytes ParseFile reads of a file when
	// Options.ReadFile is not set; 0 is safeio.MaxTextFile.
	MaxSize int64
	// Python returns what a file of this format says about the Python
	// versions the project supports. Nil: it says nothing.
	Python func(data []byte) []PythonBound
	// Lock describes a lockfile format; nil for other formats.
	Lock *LockFormat
}

// PythonBound is one statement of a file about the Python versions a
// project supports.
type PythonBound struct {
	// What quotes the statement ("requires-python >=3.9").
	What string
	// Specs are PEP 440 specifier sets; a version in any of them is
	// supported.
	Specs []string
}

// LockFormat is what a lockfile format knows about itself.
type LockFormat struct {
	// GuessesRoots says the lockfile does not record which packages the
	// project requires: packages no other locked package requires are
	// marked direct, unless a file of a format that DeclaresDirect says.
	GuessesRoots bool
	// Upgrade is the lock tool's command that moves the locked package
	// name (normalized) to version to. direct says the project declares
	// name and no edit of a project file raised it, so a tool that keeps
	// the constraint in the lockfile's project file should raise it too.
	Upgrade func(name, to string, direct bool) string
	// Fresh compares the lockfile at path (content lock) with its project
	// file, read with read. A nil state says the lockfile records no
	// content hash or its project file is missing. Nil: the format records
	// no hash of its project file.
	Fresh func(path string, lock []byte, read func(string) ([]byte, error)) (*LockState, error)
}

// LockState is the result of comparing a lockfile with its project file.
type LockState struct {
	Project  string // the project file the hash covers
	Recorded string // the hash the lockfile records
	Computed string // the hash of the project file (the matching variant, else the first)
	Line     int    // line of the recorded hash in the lockfile
	Fresh    bool   // Recorded is one of the project file's hashes
}

// formats are the file formats, in the order names are matched. This is
// the one list of them: a new format is its own file and one line here.
var formats = []*FileFormat{
	&sbomFormat,
	&metadataFormat,
	&condaMetaFormat,
	&pyprojectFormat,
	&setupCfgFormat,
	&pipfileFormat,
	&pipfileLockFormat,
	&poetryLockFormat,
	&pdmLockFormat,
	&uvLockFormat,
	&pylockFormat,
	&archiveFormat,
	&condaEnvFormat,
	&scriptFormat,
	&requirementsFormat,
}

// byName and sniffers index formats; see init.
var (
	byName   = map[string]*FileFormat{}
	sniffers []*FileFormat
)

func init() {
	for _, f := range formats {
		byName[string(f.Name)] = f
		for _, a := range f.Aliases {
			byName[a] = f
		}
		if f.Sniff != nil {
			sniffers = append(sniffers, f)
		}
	}
	sort.SliceStable(sniffers, func(i, j int) bool { return sniffers[i].SniffStrength > sniffers[j].SniffStrength })
}

// Formats returns the file formats, in the order names are matched.
func Formats() []*FileFormat {
	return append([]*FileFormat(nil), formats...)
}

// FormatOf returns the file format of a SourceFile.Format value (a
// format's name or alias), or nil.
func FormatOf(name string) *FileFormat {
	return byName[name]
}

// FormatByName returns the file format a path's name says, or nil when
// the name does not tell (Detect then looks at the content).
func FormatByName(path string) *FileFormat {
	for _, f := range formats {
		if f.Match(path) {
			return f
		}
	}
	return nil
}

// SourceFormat returns the file format of an inventory's source: the one
// SourceFile.Format names or, when it names none, the one the path's name
// says. Nil: not a file format (a directory kind, an unknown name).
func SourceFormat(s SourceFile) *FileFormat {
	if s.Format != "" {
		return FormatOf(s.Format)
	}
	return FormatByName(s.Path)
}

// detectName says which format a path's name is (FormatUnknown when the
// name does not tell).
func detectName(path string) Format {
	if f := FormatByName(path); f != nil {
		return f.Name
	}
	return FormatUnknown
}

// sniff recognizes a format from the start of a file.
func sniff(head []byte) Format {
	t := bytes.TrimSpace(head)
	for _, f := range sniffers {
		if f.Sniff(t) {
			return f.Name
		}
	}
	return FormatUnknown
}

// jsonHead reports whether a trimmed head is a JSON object. The formats
// that are not JSON never sniff one.
func jsonHead(t []byte) bool { return bytes.HasPrefix(t, []byte("{")) }

// baseIs reports whether path's base name is one of names.
func baseIs(path string, names ...string) bool {
	base := filepath.Base(path)
	for _, n := range names {
		if base == n {
			return true
		}
	}
	return false
}

// existing returns the paths in dir of the names that exist and are not
// directories, in order (ProjectFiles of formats with fixed names).
func existing(dir string, names ...string) []string {
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			out = append(out, p)
		}
	}
	return out
}

// globSorted returns the matches in dir of every pattern, sorted together.
func globSorted(dir string, patterns ...string) []string {
	var out []string
	for _, pat := range patterns {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		out = append(out, m...)
	}
	sort.Strings(out)
	return out
}

// hasSuffixFold reports whether s ends with any of the suffixes, ignoring
// case.
func hasSuffixFold(s string, suffixes ...string) bool {
	lower := strings.ToLower(s)
	for _, x := range suffixes {
		if strings.HasSuffix(lower, x) {
			return true
		}
	}
	return false
}
