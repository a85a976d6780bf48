package cooldown

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// now is the injected clock of the tests.
var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func parse(t *testing.T, name string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.ParseFile(filepath.Join("testdata", name), inventory.FormatUnknown, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// uploads returns name -> upload times of its files, in file order.
func uploads(inv *inventory.Inventory) map[string][]string {
	out := map[string][]string{}
	for _, p := range inv.Packages {
		for _, f := range p.Files {
			out[p.Name] = append(out[p.Name], f.Uploaded)
		}
	}
	return out
}

// codes lists the findings as package:version:severity, sorted.
func codes(fs []finding.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Package+":"+f.Version+":"+f.Severity.String())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func byPackage(fs []finding.Finding, name string) *finding.Finding {
	for i := range fs {
		if fs[i].Package == name {
			return &fs[i]
		}
	}
	return nil
}

func TestUVLockUploadTimes(t *testing.T) {
	inv := parse(t, "uv.lock")
	got := uploads(inv)
	want := map[string][]string{
		"fresh-lib": {"2026-11-29T09:30:00.25Z", "2026-11-29T09:00:00.5Z"},
		"hot-dep":   {"2026-12-01T09:00:00Z"},
		"old-lib":   {"2026-11-11T08:00:00Z"},
		"undated":   {""},
		"bad-time":  {"", "2026-11-30T00:00:00Z"}, // a TOML date-time is read too
	}
	for name, w := range want {
		if strings.Join(got[name], " ") != strings.Join(w, " ") {
			t.Errorf("%s: upload times %q, want %q", name, got[name], w)
		}
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "uv.lock:55: 1 upload-time value(s)") || !strings.Contains(inv.Warnings[0], `"yesterday"`) {
		t.Errorf("warnings = %q, want one naming the file, line and value", inv.Warnings)
	}

	fs, err := Check(context.Background(), inv, nil, DefaultConfig(), now)
	if err != nil {
		t.Fatal(err)
	}
	// old-lib is 20 days old, undated has no time (and no index to ask),
	// local-tool comes from git, demo is the project.
	if got := codes(fs); got != "bad-time:1.0:info,fresh-lib:2.1.0:info,hot-dep:0.9.1:info" {
		t.Fatalf("findings = %s", got)
	}
	f := byPackage(fs, "fresh-lib")
	if f.Risk != finding.RiskCompromise || f.Rule != "cooldown" || !f.Exact || !f.Direct || f.Location == nil || f.Location.Line != 15 {
		t.Errorf("finding = %+v", f)
	}
	for _, s := range []string{"2.1.0 was uploaded 2 days ago, inside the 7-day cooldown"} {
		if !strings.Contains(f.Title, s) {
			t.Errorf("title %q lacks %q", f.Title, s)
		}
	}
	// The earliest file is the release's publication.
	for _, s := range []string{"2026-11-29 09:00 UTC", "from uv.lock", "7 days"} {
		if !strings.Contains(f.Detail, s) {
			t.Errorf("detail %q lacks %q", f.Detail, s)
		}
	}
	for _, s := range []string{"Wait until 2026-12-06 09:00 UTC", "uploaded before 2026-11-24 12:00 UTC", "`uv lock --exclude-newer 2026-11-24T12:00:00Z`", "`exclude-newer = \"P7D\"` in [tool.uv]"} {
		if !strings.Contains(f.Action, s) {
			t.Errorf("action %q lacks %q", f.Action, s)
		}
	}
	if f.Evidence["uploaded"] != "2026-11-29T09:00:00Z" || f.Evidence["file"] != "fresh_lib-2.1.0-py3-none-any.whl" || f.Evidence["age_days"] != "2.1" || f.Evidence["cooldown_days"] != "7" {
		t.Errorf("evidence = %v", f.Evidence)
	}
	hot := byPackage(fs, "hot-dep")
	if hot.Direct || strings.Join(hot.Path, ">") != "fresh-lib>hot-dep" || !strings.Contains(hot.Title, "3 hours ago") {
		t.Errorf("transitive finding = %+v", hot)
	}
}

func TestPylockUploadTimes(t *testing.T) {
	inv := parse(t, "pylock.toml")
	got := uploads(inv)
	want := map[string][]string{
		// the sdist's +02:00 offset is converted to UTC
		"fresh-lib":  {"2026-11-29T09:00:00Z", "2026-11-29T09:30:00Z"},
		"quoted":     {"2026-11-30T18:00:00Z"},
		"local-time": {"2026-11-30T20:00:00Z"}, // PEP 751 times are UTC
		"old-lib":    {"2025-01-25T11:30:10.164985Z"},
		"date-only":  {""},
	}
	for name, w := range want {
		if strings.Join(got[name], " ") != strings.Join(w, " ") {
			t.Errorf("%s: upload times %q, want %q", name, got[name], w)
		}
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "pylock.toml:") || !strings.Contains(inv.Warnings[0], "toml.LocalDate") {
		t.Errorf("warnings = %q", inv.Warnings)
	}
	fs, err := Check(context.Background(), inv, nil, DefaultConfig(), now)
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(fs); got != "fresh-lib:2.1.0:info,local-time:1.2:info,quoted:5.0:info" {
		t.Fatalf("findings = %s", got)
	}
	f := byPackage(fs, "quoted")
	if !strings.Contains(f.Action, "`--uploaded-prior-to 2026-11-24T12:00:00Z` (pip)") || !strings.Contains(f.Detail, "from pylock.toml") || f.Evidence["file"] != "quoted-5.0-py3-none-any.whl" {
		t.Errorf("finding = %+v", f)
	}
}

func TestPolicyDays(t *testing.T) {
	inv := parse(t, "uv.lock")
	for _, c := range []struct {
		toml string
		want string
	}{
		{"", "bad-time:1.0:info,fresh-lib:2.1.0:info,hot-dep:0.9.1:info"},
		{"[checks.cooldown]\ndays = 0\n", ""},
		{"[checks.cooldown]\nenabled = false\n", ""},
		{"[checks.cooldown]\ndays = 1\n", "hot-dep:0.9.1:info"},
		{"[checks.cooldown]\ndays = 30\n", "bad-time:1.0:info,fresh-lib:2.1.0:info,hot-dep:0.9.1:info,old-lib:1.4.0:info"},
	} {
		pol, err := policy.Parse([]byte(c.toml), "pyvet.toml")
		if err != nil {
			t.Fatal(err)
		}
		// Through the check's interface, with the clock injected.
		res, err := New().Run(context.Background(), &check.Input{Inventory: inv, Policy: pol, Now: func() time.Time { return now }})
		if err != nil || len(res.Notes) != 0 {
			t.Fatalf("%q: %v %q", c.toml, err, res.Notes)
		}
		if got := codes(res.Findings); got != c.want {
			t.Errorf("%q: findings %s, want %s", c.toml, got, c.want)
		}
	}
	if f := byPackage(mustCheck(t, inv, Config{Days: 30}), "old-lib"); f == nil || !strings.Contains(f.Title, "20 days ago, inside the 30-day cooldown") {
		t.Errorf("days = 30: %+v", f)
	}
	if _, err := policy.Parse([]byte("[checks.cooldown]\ndays = -1\n"), "pyvet.toml"); err == nil || !strings.Contains(err.Error(), "pyvet.toml:2") {
		t.Errorf("negative days: %v", err)
	}
	if _, err := policy.Parse([]byte("[checks.cooldown]\ndays = \"7d\"\n"), "pyvet.toml"); err == nil {
		t.Error("days as a string accepted")
	}
}

func mustCheck(t *testing.T, inv *inventory.Inventory, cfg Config) []finding.Finding {
	t.Helper()
	fs, err := Check(context.Background(), inv, nil, cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// Times that are not RFC 3339 (from the JSON protocol or a resolver) are
// skipped; a version left without any is named.
func TestBadTimes(t *testing.T) {
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "mixed", Version: "1.0", Direct: true, Files: []inventory.File{{Name: "a.whl", Uploaded: "30/11/2026"}, {Name: "b.whl", Uploaded: "2026-11-30T12:00:00Z"}}},
		{Name: "broken", Version: "2.0", Files: []inventory.File{{Name: "c.whl", Uploaded: "last tuesday"}}},
		{Name: "future", Version: "3.0", Files: []inventory.File{{Name: "d.whl", Uploaded: "2026-12-02T12:00:00Z"}}},
		{Name: "resolved", Version: "4.0", Resolved: true, Files: []inventory.File{{Name: "e.whl", Uploaded: "2026-11-28T12:00:00+01:00"}}},
		{Name: "ranged", Specifier: ">=1", Files: []inventory.File{{Name: "f.whl", Uploaded: "2026-11-30T12:00:00Z"}}},
		{Name: "constraint", Version: "1.0", Constraint: true, Files: []inventory.File{{Name: "g.whl", Uploaded: "2026-11-30T12:00:00Z"}}},
	}}
	fs, err := Check(context.Background(), inv, nil, DefaultConfig(), now)
	if got := codes(fs); got != "future:3.0:info,mixed:1.0:info,resolved:4.0:info" {
		t.Errorf("findings = %s", got)
	}
	if err == nil || !strings.Contains(err.Error(), "broken 2.0") || !strings.Contains(err.Error(), `"last tuesday" is not RFC 3339`) {
		t.Errorf("err = %v", err)
	}
	if f := byPackage(fs, "resolved"); !strings.Contains(f.Action, "`--uploaded-prior-to 2026-11-24T12:00:00Z`") || f.Evidence["uploaded"] != "2026-11-28T11:00:00Z" {
		t.Errorf("resolved finding = %+v", f)
	}
	if f := byPackage(fs, "future"); !strings.Contains(f.Title, "moments ago") {
		t.Errorf("future finding = %+v", f)
	}
}

// projectJSON writes /pypi/NAME/json responses: version -> upload time
// ("" for a release without times; a "!" prefix marks it yanked).
func projectJSON(t *testing.T, projects map[string]map[string]string) pypitest.Layout {
	t.Helper()
	dir := t.TempDir()
	for name, versions := range projects {
		proj := pypi.Project{Info: pypi.Info{Name: name}, Releases: map[string][]pypi.File{}}
		for v, up := range versions {
			yanked := strings.HasPrefix(up, "!")
			up = strings.TrimPrefix(up, "!")
			proj.Releases[v] = []pypi.File{
				{Filename: name + "-" + v + ".tar.gz", URL: "https://files.pythonhosted.org/packages/ab/" + name + "-" + v + ".tar.gz", UploadTime: up, Yanked: yanked, Size: 100},
			}
			if up != "" {
				// a wheel added a day later does not move the release's time
				later, err := time.Parse(time.RFC3339, up)
				if err != nil {
					t.Fatal(err)
				}
				proj.Releases[v] = append(proj.Releases[v], pypi.File{Filename: name + "-" + v + "-py3-none-any.whl", UploadTime: later.Add(24 * time.Hour).Format(time.RFC3339), Yanked: yanked, Size: 90})
			}
		}
		b, err := json.Marshal(proj)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return pypitest.Layout{ProjectJSON: dir}
}

func TestIndexLookup(t *testing.T) {
	srv := pypitest.New(t, projectJSON(t, map[string]map[string]string{
		"newpin": {
			"1.0.0": "2026-01-10T00:00:00Z", "1.1.0": "2026-06-01T00:00:00Z", "1.2.0": "!2026-10-01T00:00:00Z",
			"1.3.0rc1": "2026-11-01T00:00:00Z", "1.3.0": "2026-11-29T00:00:00Z", "1.4.0": "2026-11-30T00:00:00Z",
		},
		"oldpin":  {"2.0": "2024-03-01T00:00:00Z"},
		"notimes": {"0.1": ""},
		"onlynew": {"0.1": "2026-11-30T06:00:00Z"},
		"locked":  {"3.0": "2025-01-01T00:00:00Z", "3.1": "2026-11-30T00:00:00Z"},
		// namesakes of packages a lockfile records from another index
		"corp-fresh":   {"1.0": "2020-01-01T00:00:00Z", "2.0": "2026-11-30T00:00:00Z"},
		"corp-undated": {"1.0": "2020-01-01T00:00:00Z"},
	}))
	idx := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", CacheDir: t.TempDir(), Backoff: time.Millisecond})
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "newpin", Version: "1.3.0", Direct: true, Locations: []inventory.Location{{File: "requirements.txt", Line: 1}}},
		{Name: "oldpin", Version: "2.0", Direct: true},
		{Name: "notimes", Version: "0.1", Direct: true},
		{Name: "onlynew", Version: "0.1", Direct: true},
		{Name: "missing", Version: "1.0", Direct: true},
		{Name: "oldpin-range", Specifier: ">=2"},
		// The lockfile's time is used; the index only gives the fallback.
		{Name: "locked", Version: "3.1", Index: "https://pypi.org/simple/", Files: []inventory.File{{Name: "locked-3.1.whl", Uploaded: "2026-11-30T00:00:00Z"}}},
		{Name: "corp-fresh", Version: "2.0", Index: "https://pkgs.corp.example/simple", Files: []inventory.File{{Name: "corp_fresh-2.0.whl", Uploaded: "2026-11-30T00:00:00Z"}}},
		{Name: "corp-undated", Version: "1.0", Index: "https://pkgs.corp.example/simple"},
	}, Sources: []inventory.SourceFile{{Path: "requirements.txt", Format: "requirements"}}}
	fs, err := Check(context.Background(), inv, idx, DefaultConfig(), now)
	if got := codes(fs); got != "corp-fresh:2.0:info,locked:3.1:info,newpin:1.3.0:info,onlynew:0.1:info" {
		t.Errorf("findings = %s", got)
	}
	// Not asked: the index's corp-fresh may be another project.
	if f := byPackage(fs, "corp-fresh"); f.Evidence["previous"] != "" || (err != nil && strings.Contains(err.Error(), "corp-undated")) {
		t.Errorf("corp-fresh finding = %+v, err = %v", f, err)
	}
	if err == nil || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "not on the index") ||
		!strings.Contains(err.Error(), "notimes 0.1") || !strings.Contains(err.Error(), "no upload time") {
		t.Errorf("err = %v", err)
	}
	f := byPackage(fs, "newpin")
	// 1.4.0 is newer, 1.3.0rc1 a pre-release, 1.2.0 yanked: 1.1.0 is the one to pin.
	if !strings.Contains(f.Action, "pin the previous release newpin==1.1.0 (uploaded 2026-06-01 00:00 UTC)") || f.Evidence["previous"] != "1.1.0" ||
		f.Evidence["source"] != "the index" || f.Evidence["uploaded"] != "2026-11-29T00:00:00Z" || !strings.HasSuffix(f.Action, ").") {
		t.Errorf("newpin finding = %+v", f)
	}
	if f := byPackage(fs, "locked"); f.Evidence["previous"] != "3.0" || f.Evidence["source"] != "the inventory" {
		t.Errorf("locked finding = %+v", f)
	}
	if f := byPackage(fs, "onlynew"); f.Evidence["previous"] != "" || !strings.Contains(f.Action, "pin a release of onlynew uploaded before 2026-11-24 12:00 UTC") {
		t.Errorf("onlynew finding = %+v", f)
	}
	// A second run reads the index cache.
	before := srv.Requests.Load()
	if _, err := Check(context.Background(), inv, pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", CacheDir: idx.Options().CacheDir, Offline: true}), DefaultConfig(), now); err == nil || strings.Contains(err.Error(), "not cached") {
		t.Errorf("offline rerun: %v", err)
	}
	if srv.Requests.Load() != before {
		t.Errorf("offline rerun made %d requests", srv.Requests.Load()-before)
	}
	// Without an index, only the inventory's times count.
	if fs := mustCheck(t, inv, DefaultConfig()); codes(fs) != "corp-fresh:2.0:info,locked:3.1:info" {
		t.Errorf("without index: %s", codes(fs))
	}
}
