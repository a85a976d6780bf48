package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/remedy"
)

// TestFixJSONPipAudit: the document of a fix run has pip-audit's
// dependencies[] (built as the audit document builds it) and fixes[] with
// the version that stays on a skipped fix.
func TestFixJSONPipAudit(t *testing.T) {
	audit := fixture(t)
	fix := fixture(t)
	fix.Kind, fix.Tool = KindFix, "pyvet fix"
	fix.Remedy = &Remedy{DryRun: true, Result: &remedy.Result{Plan: &remedy.Plan{}, FixVersions: []remedy.FixVersion{
		{Name: "werkzeug", OldVersion: "2.0.0", NewVersion: "2.3.8"},
		{Name: "jinja2", OldVersion: "2.10", SkipReason: "no safe version"},
	}}}
	type doc struct {
		Dependencies []JSONDependency `json:"dependencies"`
		Fixes        []map[string]string
	}
	var a, f doc
	for _, x := range []struct {
		res *Result
		out *doc
	}{{audit, &a}, {fix, &f}} {
		if err := json.Unmarshal([]byte(render(t, "json", x.res, Options{})), x.out); err != nil {
			t.Fatal(err)
		}
	}
	if len(a.Dependencies) == 0 || !reflect.DeepEqual(a.Dependencies, f.Dependencies) {
		t.Errorf("fix dependencies differ from the audit's:\n%+v\n%+v", f.Dependencies, a.Dependencies)
	}
	want := []map[string]string{
		{"name": "werkzeug", "old_version": "2.0.0", "new_version": "2.3.8"},
		{"name": "jinja2", "version": "2.10", "old_version": "2.10", "skip_reason": "no safe version"},
	}
	if !reflect.DeepEqual(f.Fixes, want) {
		t.Errorf("fixes = %v, want %v", f.Fixes, want)
	}

	// No inventory: an empty list, not null.
	fix.Inventory = nil
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(render(t, "json", fix, Options{})), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["dependencies"]) != "[]" {
		t.Errorf("dependencies without an inventory = %s, want []", raw["dependencies"])
	}
}

// fuzzText returns a text of every class encoding/json escapes: quotes,
// backslashes, control characters, HTML characters, U+2028/U+2029,
// invalid UTF-8, multi-byte characters.
func fuzzText(rng *rand.Rand) string {
	pieces := []string{"a", "Z", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\x00", "\x01", "\x1f", "\x7f", "<", ">", "&",
		"\u2028", "\u2029", "\xff", "\xc3", "\xe2\x80", "é", "日本", "😀", "\ufffd", "\u0085", "<script>", "PYSEC-2024-1"}
	var b strings.Builder
	for range rng.IntN(12) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

func fuzzTexts(rng *rand.Rand) []string {
	if rng.IntN(3) == 0 {
		return nil
	}
	out := make([]string, rng.IntN(4))
	for i := range out {
		out[i] = fuzzText(rng)
	}
	return out
}

// fuzzFinding is a finding with every field set or not, of random text.
func fuzzFinding(rng *rand.Rand) finding.Finding {
	risks := finding.Risks()
	f := finding.Finding{Risk: risks[rng.IntN(len(risks))], Rule: fuzzText(rng), ID: fuzzText(rng), Aliases: fuzzTexts(rng),
		Package: fuzzText(rng), Version: fuzzText(rng), Severity: finding.Severity(rng.IntN(7)), Vector: fuzzText(rng),
		Title: fuzzText(rng), Detail: fuzzText(rng), Action: fuzzText(rng), Fix: fuzzTexts(rng), Exact: rng.IntN(2) == 0,
		Path: fuzzTexts(rng), Direct: rng.IntN(2) == 0, Ignored: rng.IntN(4) == 0, IgnoreReason: fuzzText(rng), Project: fuzzText(rng)}
	switch rng.IntN(4) {
	case 0:
		f.CVSS = float64(rng.IntN(101)) / 10
	case 1:
		f.CVSS = rng.Float64() * 10
	case 2:
		f.CVSS = []float64{1e-7, 2.5e21, -3, 1e20}[rng.IntN(4)]
	}
	if rng.IntN(2) == 0 {
		f.Location = &inventory.Location{File: fuzzText(rng), Line: rng.IntN(3) * rng.IntN(1000)}
	}
	if n := rng.IntN(4); n > 0 {
		f.Evidence = map[string]string{}
		for range n {
			f.Evidence[fuzzText(rng)] = fuzzText(rng)
		}
	}
	return f
}

// TestJSONAppenderMatchesEncodingJSON: the hand-written finding, vuln and
// dependency objects are byte for byte encoding/json's indented output of
// the same values, at any depth, for fuzzed text of every escape class.
func TestJSONAppenderMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	for i := range 5000 {
		f := fuzzFinding(rng)
		depth := rng.IntN(4)
		prefix := strings.Repeat("  ", depth)
		o := &jsonOut{}
		o.finding(depth, &f)
		want, err := json.MarshalIndent(JSONFinding{Finding: f, OWASP: f.Risk.OWASPNumber()}, prefix, "  ")
		if err != nil {
			t.Fatal(err)
		}
		if string(o.b) != string(want) {
			t.Fatalf("finding %d differs:\n%s", i, firstDiff(o.b, want))
		}

		o.b = o.b[:0]
		o.vuln(depth, &f)
		v := JSONVuln{ID: f.ID, FixVersions: nonNil(f.Fix), Aliases: nonNil(f.Aliases), Description: f.Detail, Severity: f.Severity.String(), CVSS: f.CVSS, Exact: f.Exact}
		if v.Description == "" {
			v.Description = f.Title
		}
		if want, _ = json.MarshalIndent(v, prefix, "  "); string(o.b) != string(want) {
			t.Fatalf("vuln %d differs:\n%s", i, firstDiff(o.b, want))
		}

		d := JSONDependency{Name: fuzzText(rng), Version: fuzzText(rng), SkipReason: fuzzText(rng), Specifier: fuzzText(rng), Direct: rng.IntN(2) == 0,
			Source: fuzzText(rng), Requires: fuzzTexts(rng), Parents: fuzzTexts(rng), Resolved: rng.IntN(2) == 0}
		for range rng.IntN(3) {
			d.Locations = append(d.Locations, inventory.Location{File: fuzzText(rng), Line: rng.IntN(50)})
		}
		var vulns []JSONVuln
		o.b = o.b[:0]
		switch rng.IntN(3) {
		case 0: // no key
			o.dependency(depth, &d, nil)
		case 1: // an empty list
			d.Vulns = &[]JSONVuln{}
			o.dependency(depth, &d, func(int) { o.b = append(o.b, '[', ']') })
		case 2:
			vulns = []JSONVuln{v, v}
			d.Vulns = &vulns
			o.dependency(depth, &d, func(dd int) {
				o.b = append(o.b, '[')
				o.nl(dd + 1)
				o.vuln(dd+1, &f)
				o.b = append(o.b, ',')
				o.nl(dd + 1)
				o.vuln(dd+1, &f)
				o.nl(dd)
				o.b = append(o.b, ']')
			})
		}
		if want, _ = json.MarshalIndent(d, prefix, "  "); string(o.b) != string(want) {
			t.Fatalf("dependency %d differs:\n%s", i, firstDiff(o.b, want))
		}

		// Small values: marshalled then indented at the depth.
		o.b = o.b[:0]
		o.value(depth, f.Evidence)
		if want, _ = json.MarshalIndent(f.Evidence, prefix, "  "); string(o.b) != string(want) {
			t.Fatalf("value %d differs:\n%s", i, firstDiff(o.b, want))
		}
		o.b = o.b[:0]
		o.stringMap(depth, f.Evidence)
		if len(f.Evidence) > 0 && string(o.b) != string(want) {
			t.Fatalf("map %d differs:\n%s", i, firstDiff(o.b, want))
		}
	}
}

// TestJSONStreamMatchesDocument: the streamed audit document of generated
// runs (real advisory text with PYVET_CORPUS, fuzzed findings, findings sent
// one by one or at once, sorted or not) is encoding/json's indented output
// of the document value built from the whole run (referenceJSON).
func TestJSONStreamMatchesDocument(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	big := benchRun(t, 3000)
	fuzzed := benchRun(t, 300)
	for i := range fuzzed.Findings {
		if i%3 == 0 {
			f := fuzzFinding(rng)
			f.Package, f.Version = fuzzed.Findings[i].Package, fuzzed.Findings[i].Version
			fuzzed.Findings[i] = f
		}
	}
	fuzzed.Notes = append(fuzzed.Notes, fuzzText(rng), strings.Repeat("long note ", 100))
	fuzzed.Meta[fuzzText(rng)] = fuzzText(rng)
	fuzzed.Skipped[fuzzed.Findings[1].Package] = fuzzText(rng)
	fuzzed.Fixes = []JSONFix{{Name: fuzzText(rng), OldVersion: "1", NewVersion: "2"}, {Name: "x", Version: "1", SkipReason: fuzzText(rng)}}
	fuzzed.Projects = []ProjectResult{{Path: ".", Summary: Summary{Total: 1, ByRisk: map[string]int{"vulnerability": 1}, BySeverity: map[string]int{}}}}
	shuffled := benchRun(t, 500)
	rng.Shuffle(len(shuffled.Findings), func(i, j int) {
		shuffled.Findings[i], shuffled.Findings[j] = shuffled.Findings[j], shuffled.Findings[i]
	})
	for name, res := range map[string]*Result{"big": big, "fuzzed": fuzzed, "shuffled": shuffled} {
		opts := Options{BaseDir: "/src/app"}
		want, err := json.MarshalIndent(referenceJSON(res, opts), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		got := render(t, "json", res, opts)
		if got != string(want) {
			t.Errorf("%s: streamed document differs (%d bytes, want %d):\n%s", name, len(got), len(want), firstDiff([]byte(got), want))
		}
		// One by one, as a sender other than Emit sends them.
		var b bytes.Buffer
		h, _ := New(&b, "json", opts)
		h.Config(&Config{Tool: res.Tool, Version: res.Version, Meta: res.Meta})
		h.Inventory(res.Inventory)
		for _, k := range sortedKeys(res.Skipped) {
			h.Skip(&Skip{Package: k, Reason: res.Skipped[k]})
		}
		for i := range res.Findings {
			f := res.Findings[i]
			h.Finding(&f)
			f.Title = "changed after the call" // the handler keeps its own copy
		}
		for i := range res.Fixes {
			h.Fix(&res.Fixes[i])
		}
		for _, n := range res.Notes {
			h.Note(n)
		}
		h.Summary(&Gate{Failed: res.Failed, Projects: res.Projects})
		if err := h.Flush(); err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("%s one by one: document differs:\n%s", name, firstDiff(b.Bytes(), want))
		}
	}
}

// referenceJSON is the audit document as a value, built from the whole run
// the way the JSON format built it before it streamed: the reference the
// streamed document is compared with.
func referenceJSON(res *Result, opts Options) *JSONReport {
	res = bounded(res)
	rep := &JSONReport{SchemaVersion: SchemaVersion, Kind: KindAudit, Dependencies: []JSONDependency{}, Fixes: append([]JSONFix{}, res.Fixes...),
		Tool: res.Tool, Version: res.Version, Findings: []JSONFinding{}, Summary: Summarize(res), Notes: append([]string{}, res.Notes...),
		Meta: map[string]string{}, Sources: []inventory.SourceFile{}}
	for k, v := range res.Meta {
		rep.Meta[k] = v
	}
	rep.Projects = append(rep.Projects, res.Projects...)
	fs := append([]finding.Finding(nil), res.Findings...)
	finding.Sort(fs)
	for _, f := range fs {
		if f.Location != nil {
			l := *f.Location
			l.File = relPath(l.File, opts.BaseDir)
			f.Location = &l
		}
		rep.Findings = append(rep.Findings, JSONFinding{Finding: f, OWASP: f.Risk.OWASPNumber()})
	}
	if res.Inventory == nil {
		return rep
	}
	for _, s := range res.Inventory.Sources {
		s.Path = relPath(s.Path, opts.BaseDir)
		rep.Sources = append(rep.Sources, s)
	}
	type pv struct{ name, version string }
	vulns := map[pv][]JSONVuln{}
	for _, f := range fs {
		if f.Ignored || f.ID == "" || (f.Risk != finding.RiskVulnerability && f.Risk != finding.RiskMalicious) {
			continue
		}
		v := JSONVuln{ID: f.ID, FixVersions: nonNil(f.Fix), Aliases: nonNil(f.Aliases), Description: f.Detail, Severity: f.Severity.String(), CVSS: f.CVSS, Exact: f.Exact}
		if v.Description == "" {
			v.Description = f.Title
		}
		vulns[pv{f.Package, f.Version}] = append(vulns[pv{f.Package, f.Version}], v)
	}
	requires, parents := map[string][]string{}, map[string][]string{}
	for _, p := range res.Inventory.Packages {
		requires[p.Name] = union(requires[p.Name], p.Requires)
		parents[p.Name] = union(parents[p.Name], p.Parents)
	}
	for _, p := range uniquePackages(res.Inventory) {
		d := JSONDependency{Requires: clipAll(requires[p.Name], maxName), Parents: clipAll(parents[p.Name], maxName),
			Name: finding.Clip(p.Name, maxName), Version: finding.Clip(p.Version, maxName), Specifier: finding.Clip(p.Specifier, maxName),
			Direct: p.Direct, Source: string(p.Source.Kind), Resolved: p.Resolved}
		for _, l := range p.Locations {
			l.File = relPath(l.File, opts.BaseDir)
			d.Locations = append(d.Locations, l)
		}
		key := d.Version
		if key == "" {
			key = d.Specifier
		}
		if vs := vulns[pv{p.Name, key}]; vs != nil {
			d.Vulns = &vs
		}
		if reason, ok := res.Skipped[p.Name]; ok {
			d.SkipReason = reason
		} else if p.Version == "" {
			d.SkipReason = finding.Clip(defaultSkipReason(p), maxLine)
		}
		if d.SkipReason == "" && d.Vulns == nil {
			d.Vulns = &[]JSONVuln{}
		}
		rep.Dependencies = append(rep.Dependencies, d)
	}
	sort.SliceStable(rep.Dependencies, func(i, j int) bool { return rep.Dependencies[i].Name < rep.Dependencies[j].Name })
	return rep
}

// TestLongDescriptionReplays: a description over the cap is cut once, its
// mark gives the length of the whole description, and the recorded JSON
// replays to the same bytes in every format.
func TestLongDescriptionReplays(t *testing.T) {
	res := fixture(t)
	long := strings.Repeat("A crafted request reads files outside the root.\n", 125) // 6,000 bytes
	res.Findings[0].Detail = long
	for _, format := range []string{"json", "sarif", "markdown"} {
		opts := Options{Desc: true}
		out := render(t, format, res, opts)
		if !strings.Contains(out, "… (6000 bytes)") {
			t.Errorf("%s: the cut description does not give its length (6000 bytes)", format)
		}
		back, err := ReadJSON(strings.NewReader(render(t, "json", res, opts)))
		if err != nil {
			t.Fatal(err)
		}
		if again := render(t, format, back, opts); again != out {
			t.Errorf("%s: the replayed report differs:\n%s", format, firstDiff([]byte(again), []byte(out)))
		}
	}
}

// TestFindingsAtOnceOrOneByOne: every format writes the same bytes whether
// the findings come at once (Emit) or one by one, and leaves the sender's
// findings as they were.
func TestFindingsAtOnceOrOneByOne(t *testing.T) {
	res := benchRun(t, 200)
	before := slices.Clone(res.Findings)
	for _, format := range Formats() {
		opts := Options{Color: ColorNever, Desc: true}
		want := render(t, format, res, opts)
		var b bytes.Buffer
		h, _ := New(&b, format, opts)
		h.Config(&Config{Tool: res.Tool, Version: res.Version, Meta: res.Meta})
		h.Inventory(res.Inventory)
		for i := range res.Findings {
			f := res.Findings[i]
			h.Finding(&f)
		}
		for _, n := range res.Notes {
			h.Note(n)
		}
		h.Summary(&Gate{Failed: res.Failed})
		if err := h.Flush(); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%s: one by one differs:\n%s", format, firstDiff(b.Bytes(), []byte(want)))
		}
		if !reflect.DeepEqual(res.Findings, before) {
			t.Fatalf("%s changed the sender's findings", format)
		}
	}
}
