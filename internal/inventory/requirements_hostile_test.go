package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pyvet/pyvet/internal/safeio"
)

// writeFiles writes name -> content below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// parseReqFile reads a requirements file as Load does.
func parseReqFile(path string, opts Options) (*Inventory, error) {
	return ParseFile(path, FormatRequirements, opts)
}

// wantErr fails unless err is a one-line ParseError starting with prefix
// and holding every part.
func wantErr(t *testing.T, err error, prefix string, parts ...string) {
	t.Helper()
	var pe *ParseError
	if err == nil || !errors.As(err, &pe) {
		t.Fatalf("want a ParseError starting with %s, got %v", prefix, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) || strings.ContainsAny(msg, "\n\r") || len(msg) > 300+2*len(prefix) {
		t.Errorf("error %q does not start with %q on one short line", msg, prefix)
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not say %q", msg, p)
		}
	}
}

func TestHostileRequirementIncludeOutsideProject(t *testing.T) {
	root := t.TempDir()
	proj := filepath.Join(root, "proj")
	writeFiles(t, root, map[string]string{
		"secret.txt":               "leaked-secret==1.0\n",
		"proj/pyproject.toml":      "[project]\nname = \"p\"\n",
		"proj/sub/base.txt":        "six==1.16.0\n",
		"proj/sub/requirements.in": "-r base.txt\n",
	})
	cases := map[string]string{
		"-r /proc/self/environ\n":                             "it is in /proc",
		"--requirement=/etc/passwd\n":                         "outside the project",
		"-c /dev/zero\n":                                      "it is in /dev",
		"--constraint /sys/kernel/notes\n":                    "it is in /sys",
		"-r ../../secret.txt\n":                               "outside the project",
		"-r" + filepath.Join(root, "secret.txt") + "\n":       "outside the project",
		"six==1.16.0\n-r sub/../../secret.txt\n":              "outside the project",
		"-r sub/requirements.in\n-r ../secret.txt\n":          "outside the project",
		"-c link.txt\n":                                       "outside the project",
		"requests==2.31.0 --hash=sha256:00\n-r /etc/passwd\n": "outside the project",
	}
	if err := os.Symlink(filepath.Join(root, "secret.txt"), filepath.Join(proj, "link.txt")); err != nil {
		t.Fatal(err)
	}
	for content, why := range cases {
		file := filepath.Join(proj, "requirements.txt")
		writeFiles(t, proj, map[string]string{"requirements.txt": content})
		line := strings.Count(content, "\n")
		inv, err := parseReqFile(file, Options{})
		wantErr(t, err, fmt.Sprintf("%s:%d: refusing to include ", file, line), why, "--allow-outside-includes")
		if inv != nil {
			t.Errorf("%q: an inventory was returned with the error", content)
		}
		if err != nil && (strings.Contains(err.Error(), "leaked") || strings.Contains(err.Error(), "root:")) {
			t.Errorf("%q: the error quotes the refused file: %v", content, err)
		}
	}
	// The option reads what it is asked to.
	writeFiles(t, proj, map[string]string{"requirements.txt": "-r ../secret.txt\n-c link.txt\n"})
	inv, err := parseReqFile(filepath.Join(proj, "requirements.txt"), Options{AllowOutsideIncludes: true})
	if err != nil || len(find(inv, "leaked-secret")) != 2 {
		t.Fatalf("AllowOutsideIncludes: %v %v", err, inv)
	}
	// Includes inside the project, through a subdirectory and back, are read.
	writeFiles(t, proj, map[string]string{"requirements.txt": "-r sub/requirements.in\n-c ./sub/../sub/base.txt\n"})
	inv, err = parseReqFile(filepath.Join(proj, "requirements.txt"), Options{})
	if err != nil || len(find(inv, "six")) != 2 {
		t.Fatalf("include inside the project: %v %v", err, inv)
	}
}

func TestHostileRequirementProjectRoot(t *testing.T) {
	// Without .git or pyproject.toml above it, the root is the file's directory.
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"a/requirements.txt": "-r ../b/base.txt\n",
		"b/base.txt":         "six==1.16.0\n",
	})
	_, err := parseReqFile(filepath.Join(root, "a", "requirements.txt"), Options{})
	wantErr(t, err, filepath.Join(root, "a", "requirements.txt")+":1: refusing to include", "outside the project")
	// A .git directory above makes the repository the root.
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	inv, err := parseReqFile(filepath.Join(root, "a", "requirements.txt"), Options{})
	if err != nil || len(find(inv, "six")) != 1 {
		t.Fatalf("include inside the repository: %v", err)
	}
}

func TestHostileRequirementNamedFileAnywhere(t *testing.T) {
	// A file the user names is read wherever it is; its own includes are
	// judged from its project.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"requirements.txt": "six==1.16.0\n"})
	inv, err := parseReqFile(filepath.Join(dir, "requirements.txt"), Options{})
	if err != nil || len(find(inv, "six")) != 1 {
		t.Fatalf("%v %v", err, inv)
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

func TestHostileRequirementNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.txt")
	mkfifo(t, fifo)
	// A FIFO named on the command line: refused, never waited on.
	_, err := parseReqFile(fifo, Options{})
	wantErr(t, err, fifo+": ", "FIFO")
	_, err = Load([]string{fifo}, Options{})
	wantErr(t, err, fifo+": ", "FIFO")
	// A FIFO whose name does not tell its format.
	bare := filepath.Join(dir, "stream")
	mkfifo(t, bare)
	_, err = Load([]string{bare}, Options{})
	wantErr(t, err, bare+": ")
	// A FIFO inside the project, included.
	writeFiles(t, dir, map[string]string{"requirements.txt": "six==1.16.0\n-r fifo.txt\n"})
	_, err = parseReqFile(filepath.Join(dir, "requirements.txt"), Options{})
	wantErr(t, err, filepath.Join(dir, "requirements.txt")+":2: cannot read included file", "FIFO")
	// A device named by the user.
	_, err = parseReqFile("/dev/zero", Options{})
	wantErr(t, err, "/dev/zero: ", "not a regular file")
	_, err = Load([]string{"/dev/zero"}, Options{})
	wantErr(t, err, "/dev/zero: ")
	// An include through a symlink to a device, with outside includes allowed:
	// still refused by the reader.
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.txt")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"requirements.txt": "-r zero.txt\n"})
	_, err = parseReqFile(filepath.Join(dir, "requirements.txt"), Options{AllowOutsideIncludes: true})
	wantErr(t, err, filepath.Join(dir, "requirements.txt")+":1: cannot read included file", "not a regular file")
}

func TestHostileRequirementTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.txt")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(safeio.MaxTextFile + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	writeFiles(t, dir, map[string]string{"requirements.txt": "-r big.txt\n"})
	_, err = parseReqFile(filepath.Join(dir, "requirements.txt"), Options{})
	wantErr(t, err, filepath.Join(dir, "requirements.txt")+":1: cannot read included file", "limit")
	_, err = parseReqFile(big, Options{})
	wantErr(t, err, big+": ", "limit")
}

// includeChain writes n files r0..r(n-1), each including the next twice.
func includeChain(t *testing.T, dir string, n int) string {
	t.Helper()
	files := map[string]string{}
	for i := range n {
		content := fmt.Sprintf("pkg%d==1.0\n", i)
		if i+1 < n {
			content += fmt.Sprintf("-r r%d.txt\n-r ./r%d.txt\n", i+1, i+1)
		}
		files[fmt.Sprintf("r%d.txt", i)] = content
	}
	writeFiles(t, dir, files)
	return filepath.Join(dir, "r0.txt")
}

func TestHostileRequirementIncludeExpansion(t *testing.T) {
	dir := t.TempDir()
	top := includeChain(t, dir, 24) // 2^24 paths through 24 files
	reads := 0
	opts := Options{ReadFile: func(p string) ([]byte, error) {
		reads++
		return safeio.ReadFile(p, safeio.MaxTextFile)
	}}
	inv, err := parseReqFile(top, opts)
	if err != nil {
		t.Fatal(err)
	}
	if reads != 24 {
		t.Errorf("%d reads for 24 files", reads)
	}
	if len(inv.Packages) != 24 || len(inv.Sources) != 24 {
		t.Errorf("%d packages, %d sources; want 24 each", len(inv.Packages), len(inv.Sources))
	}
	// The same file as requirements and as constraints is read once for each.
	writeFiles(t, dir, map[string]string{"both.txt": "-r r23.txt\n-c r23.txt\n-r r23.txt\n"})
	inv, err = parseReqFile(filepath.Join(dir, "both.txt"), Options{})
	if err != nil || len(inv.Packages) != 2 {
		t.Fatalf("both: %v %v", err, inv)
	}
}

func TestHostileRequirementIncludeCycle(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.txt":     "six==1.16.0\n-r b.txt\n",
		"b.txt":     "# comment\n\n-r sub/c.txt\n",
		"sub/c.txt": "--requirement ../a.txt\n",
		"self.txt":  "-c self.txt\n",
	})
	_, err := parseReqFile(filepath.Join(dir, "a.txt"), Options{})
	wantErr(t, err, filepath.Join(dir, "sub", "c.txt")+":1: include cycle", "a.txt -> b.txt -> c.txt -> a.txt")
	_, err = parseReqFile(filepath.Join(dir, "self.txt"), Options{})
	wantErr(t, err, filepath.Join(dir, "self.txt")+":1: include cycle", "self.txt -> self.txt")
}

func TestHostileRequirementMissingInclude(t *testing.T) {
	dir := t.TempDir()
	for i, content := range []string{"six==1.16.0\n-r missing.txt\n", "six==1.16.0\n-c missing.txt\n", "six==1.16.0\n--constraint=missing.txt\n"} {
		writeFiles(t, dir, map[string]string{"requirements.txt": content})
		_, err := parseReqFile(filepath.Join(dir, "requirements.txt"), Options{})
		wantErr(t, err, filepath.Join(dir, "requirements.txt")+":2: included file", `"missing.txt" not found`)
		_ = i
	}
}

func TestHostileRequirementBOM(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"requirements.txt": "\ufeffrequests==2.31.0\n-r base.txt\n",
		"base.txt":         "\ufeff-c cons.txt\nsix==1.16.0\n",
		"cons.txt":         "\ufeffurllib3==2.0.0\n",
	})
	inv, err := parseReqFile(filepath.Join(dir, "requirements.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"requests", "six", "urllib3"} {
		if len(find(inv, n)) != 1 {
			t.Errorf("%s not read: %v", n, names(inv))
		}
	}
	if u := one(t, inv, "urllib3"); !u.Constraint {
		t.Errorf("the constraints file after a BOM is not a constraint: %+v", u)
	}
}

func TestHostileRequirementErrorsBounded(t *testing.T) {
	huge := strings.Repeat("x", 100<<20)
	long := huge[:1<<20]
	cases := map[string]string{
		"invalid":  "requests===" + huge + " (\n",
		"bad name": "!" + long + "\n",
		"url":      "pkg @ https://" + long + "/a b\n",
		"option":   "requests --" + long + "\n",
		"egg":      "https://example.org/" + long + "\n",
		"env":      "${" + strings.Repeat("A", 1<<20) + "}pkg==${" + strings.Repeat("B", 1<<20) + "}\n",
		"no name":  "./" + strings.Repeat("/", 1<<20) + "\n",
	}
	for name, content := range cases {
		inv, err := ParseRequirements("requirements.txt", []byte(content), Options{NoIncludes: true})
		if err != nil {
			if len(err.Error()) >= 300 || !strings.HasPrefix(err.Error(), "requirements.txt:1: ") {
				t.Errorf("%s: error of %d bytes: %.200s", name, len(err.Error()), err)
			}
			continue
		}
		for _, w := range inv.Warnings {
			if len(w) >= 300 {
				t.Errorf("%s: warning of %d bytes: %.200s", name, len(w), w)
			}
		}
	}
	// A file that is not a dependency file: one short excerpt of its first
	// invalid line, never the rest.
	environ := "API_TOKEN=" + strings.Repeat("s", 200) + "-end\x00SECOND=second-secret\nTHIRD=third-secret\n"
	_, err := ParseRequirements("environ", []byte(environ), Options{NoIncludes: true})
	if err == nil || len(err.Error()) >= 300 || strings.Contains(err.Error(), "-end") || strings.Contains(err.Error(), "second-secret") ||
		strings.Contains(err.Error(), "third-secret") || !strings.HasPrefix(err.Error(), "environ:1: ") {
		t.Errorf("environ: %v", err)
	}
}

// manyHashes is one requirement line with n distinct --hash options.
func manyHashes(n int) []byte {
	var b strings.Builder
	b.WriteString("django==4.2.0")
	for i := range n {
		fmt.Fprintf(&b, " --hash=sha256:%064x", i)
	}
	b.WriteString("\n")
	return []byte(b.String())
}

// identicalLines is n copies of one pinned requirement line.
func identicalLines(n int) []byte {
	return []byte(strings.Repeat("requests==2.31.0\n", n))
}

// parseAndMerge parses data and merges the result as Load does.
func parseAndMerge(data []byte) error {
	inv, err := ParseRequirements("requirements.txt", data, Options{NoIncludes: true})
	if err != nil {
		return err
	}
	Merge(inv)
	return nil
}

func TestHostileRequirementLinear(t *testing.T) {
	for name, gen := range map[string]func(int) []byte{"hashes": manyHashes, "identical lines": identicalLines} {
		allocs := func(n int) float64 {
			data := gen(n)
			return testing.AllocsPerRun(2, func() {
				if err := parseAndMerge(data); err != nil {
					t.Fatal(err)
				}
			})
		}
		a, b := allocs(5000), allocs(10000)
		if b/a >= 2.5 {
			t.Errorf("%s: %.0f allocations at n, %.0f at 2n", name, a, b)
		}
	}
	// The result is right, not only fast: every distinct hash kept once,
	// identical lines folded into one package with every location.
	inv, err := ParseRequirements("requirements.txt", append(manyHashes(3000), manyHashes(3000)...), Options{NoIncludes: true})
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(inv)
	if len(m.Packages) != 1 || len(m.Packages[0].Hashes) != 3000 || len(m.Packages[0].Locations) != 2 {
		t.Errorf("hashes: %d packages, %d hashes", len(m.Packages), len(m.Packages[0].Hashes))
	}
	inv, _ = ParseRequirements("requirements.txt", identicalLines(3000), Options{NoIncludes: true})
	m = Merge(inv)
	if len(m.Packages) != 1 || len(m.Packages[0].Locations) != 3000 {
		t.Errorf("identical lines: %d packages", len(m.Packages))
	}
}

func benchParse(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := parseAndMerge(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashes parses and merges one line with 30,000 and 60,000 --hash options.
func BenchmarkHashes(b *testing.B) {
	for _, n := range []int{30000, 60000} {
		data := manyHashes(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchParse(b, data) })
	}
}

// BenchmarkIdenticalLines parses and merges 75,000 and 150,000 identical requirement lines.
func BenchmarkIdenticalLines(b *testing.B) {
	for _, n := range []int{75000, 150000} {
		data := identicalLines(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchParse(b, data) })
	}
}
