package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pyvet/pyvet/internal/policy"
)

// docFiles are the documents whose examples and flag mentions are checked.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"../../README.md", "../../action.yml", "../../.pre-commit-hooks.yaml"}
	for _, glob := range []string{"../../docs/*.md", "../../examples/*/*.md"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var out []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			out = append(out, f)
		}
	}
	if len(out) < 5 {
		t.Fatalf("documentation not found: %v", out)
	}
	return out
}

// TestDocumentedPolicyExamplesParse parses every TOML example of the
// documentation with the schema the checks declare: an unknown check, key or a
// wrong type in an example fails the test.
func TestDocumentedPolicyExamplesParse(t *testing.T) {
	n := 0
	for _, doc := range docFiles(t) {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks := strings.Split(string(data), "```toml\n")
		for i, b := range blocks[1:] {
			example, _, _ := strings.Cut(b, "```")
			name := filepath.Base(doc) + " example " + strconv.Itoa(i+1)
			if strings.Contains(example, "[project]") || strings.Contains(example, "[tool.") {
				// A pyproject.toml: its [tool.pyvet] table is the policy.
				p := filepath.Join(t.TempDir(), "pyproject.toml")
				if err := os.WriteFile(p, []byte(example), 0o644); err != nil {
					t.Fatal(err)
				}
				if _, err := policy.LoadFile(p); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			} else if _, err := policy.Parse([]byte(example), name); err != nil {
				t.Errorf("%v", err)
			}
			n++
		}
	}
	if n < 2 {
		t.Errorf("only %d TOML examples found", n)
	}
	// The test would notice a typo.
	if _, err := policy.Parse([]byte("[checks.typosquat]\nmax-distanse = 2\n"), "typo"); err == nil {
		t.Error("an unknown key parses")
	}
}

var (
	flagRe    = regexp.MustCompile("(?:^|[\\s\\[(`|,=])(--[a-z][a-z0-9-]*|-[a-zA-Z])\\b")
	codeSpan  = regexp.MustCompile("`([^`]*)`")
	pyvetCall = regexp.MustCompile(`(?:^|[\s$(` + "`" + `])pyvet((?:\s+[a-z][a-z-]*(?:\\?\|[a-z-]+)*)+)`)
)

// mention is one place the documentation runs pyvet with flags.
type mention struct {
	where string
	words []string // subcommand path, e.g. ["policy", "show"]
	flags []string
}

// docMentions extracts `pyvet CMD ... --flag` mentions: command lines in code
// blocks and code spans, and table rows whose first cell names a command
// (the flags in the row's other cells belong to it).
func docMentions(t *testing.T) []mention {
	var out []mention
	add := func(where, text, flagText string) {
		m := pyvetCall.FindStringSubmatchIndex(text)
		if m == nil {
			return
		}
		var words []string
		for _, w := range strings.Fields(text[m[2]:m[3]]) {
			w, _, _ = strings.Cut(strings.ReplaceAll(w, `\|`, "|"), "|")
			words = append(words, w)
		}
		if flagText == "" {
			flagText = text[m[3]:]
		}
		var flags []string
		for _, f := range flagRe.FindAllStringSubmatch(flagText, -1) {
			flags = append(flags, f[1])
		}
		out = append(out, mention{where: where, words: words, flags: flags})
	}
	for _, doc := range docFiles(t) {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		inBlock := false
		for i, line := range strings.Split(string(data), "\n") {
			where := filepath.Base(doc) + ":" + strconv.Itoa(i+1)
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inBlock = !inBlock
				continue
			}
			if !strings.HasSuffix(doc, ".md") {
				// YAML: only the commands it runs, not prose about pyvet.
				if i := strings.Index(line, "pyvet "); i < 0 || !isCommand(strings.Fields(line[i+6:])) {
					continue
				}
			}
			if inBlock || !strings.HasSuffix(doc, ".md") {
				cmdText, _, _ := strings.Cut(line, " # ")
				for _, part := range strings.Split(cmdText, "&&") {
					add(where, part, "")
				}
				continue
			}
			if strings.HasPrefix(line, "|") {
				cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|")
				if len(cells) > 2 {
					first := strings.ReplaceAll(cells[1], "\x00", `\|`)
					if sp := codeSpan.FindStringSubmatch(first); sp != nil && strings.HasPrefix(sp[1], "pyvet ") {
						add(where, sp[1], strings.ReplaceAll(line, "\x00", `\|`))
						continue
					}
				}
			}
			for _, sp := range codeSpan.FindAllStringSubmatch(line, -1) {
				add(where, sp[1], "")
			}
		}
	}
	return out
}

// TestDocumentedFlagsExist checks every flag the documentation gives for a
// command against the command.
func TestDocumentedFlagsExist(t *testing.T) {
	root := newRootCmd()
	checked := 0
	for _, m := range docMentions(t) {
		cmd, rest, err := root.Find(m.words)
		if err != nil || cmd == root && len(m.words) > 0 && !isPath(m.words[0]) {
			t.Errorf("%s: pyvet %s: no such command", m.where, strings.Join(m.words, " "))
			continue
		}
		_ = rest
		for _, f := range m.flags {
			if lookupFlag(cmd, f) == nil {
				t.Errorf("%s: %s has no flag %s", m.where, cmd.CommandPath(), f)
			}
			checked++
		}
	}
	if testing.Verbose() {
		for _, m := range docMentions(t) {
			t.Logf("%s: %v %v", m.where, m.words, m.flags)
		}
	}
	if checked < 20 {
		t.Errorf("only %d flag mentions checked; is the extraction broken?", checked)
	}
}

// isCommand reports whether words start with a pyvet subcommand.
func isCommand(words []string) bool {
	if len(words) == 0 {
		return false
	}
	for _, c := range newRootCmd().Commands() {
		if c.Name() == words[0] {
			return true
		}
	}
	return false
}

// isPath tells a path argument (pyvet audit examples/demo) from a mistyped command.
func isPath(w string) bool { return strings.ContainsAny(w, "./") }

func lookupFlag(cmd *cobra.Command, f string) *pflag.Flag {
	if strings.HasPrefix(f, "--") {
		if fl := cmd.Flags().Lookup(f[2:]); fl != nil {
			return fl
		}
		return cmd.InheritedFlags().Lookup(f[2:])
	}
	if fl := cmd.Flags().ShorthandLookup(f[1:]); fl != nil {
		return fl
	}
	return cmd.InheritedFlags().ShorthandLookup(f[1:])
}

// TestOneFlagVocabulary: the policy flags mean the same on every command
// that reads the policy, and the documented ones exist on audit.
func TestOneFlagVocabulary(t *testing.T) {
	root := newRootCmd()
	usage := map[string]string{}
	for _, path := range [][]string{{"audit"}, {"fix"}, {"policy", "show"}, {"sbom"}} {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"policy", "ignore-vuln", "disable", "enable", "fail-on"}
		if path[0] == "sbom" {
			names = names[:4] // sbom does not gate
		}
		for _, n := range names {
			fl := cmd.Flags().Lookup(n)
			if fl == nil {
				t.Errorf("%s has no --%s", cmd.CommandPath(), n)
				continue
			}
			if u, ok := usage[n]; ok && u != fl.Usage {
				t.Errorf("--%s means something else on %s: %q, not %q", n, cmd.CommandPath(), fl.Usage, u)
			}
			usage[n] = fl.Usage
		}
	}
}

// TestDocumentedSettingsTable keeps docs/policy.md's table of settings and
// the checks' declarations the same: every declared setting is documented and
// every documented one is declared.
func TestDocumentedSettingsTable(t *testing.T) {
	data, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "## Settings of each check")
	if !ok {
		t.Fatal("docs/policy.md has no settings table")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	documented := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.Contains(cells[1], "`") {
			continue
		}
		check := strings.Trim(strings.TrimSpace(cells[1]), "`")
		for _, k := range codeSpan.FindAllStringSubmatch(cells[2], -1) {
			documented[check+"."+k[1]] = true
		}
	}
	declared := map[string]bool{}
	for _, s := range policy.Specs() {
		for _, k := range s.Keys {
			declared[s.Name+"."+k.Name] = true
			if !documented[s.Name+"."+k.Name] {
				t.Errorf("checks.%s.%s is not in docs/policy.md's table", s.Name, k.Name)
			}
		}
	}
	for k := range documented {
		if !declared[k] {
			t.Errorf("docs/policy.md documents checks.%s, which no check declares", k)
		}
	}
}
