// Command gen writes the request bodies of the `pyvet serve` load test: one
// OSV query per line for every package of an advisory database, at versions
// its advisories name (affected ones from the versions lists, fixed ones from
// the ranges), some spelled as purls.
//
//	go run ./bench/serve/gen -db DB.zip -o bench/serve/out/queries.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/pep440"
)

func main() {
	dbPath := flag.String("db", "", "advisory database (OSV zip, directory or index)")
	out := flag.String("o", "bench/serve/out/queries.jsonl", "output file")
	perPkg := flag.Int("per-package", 3, "versions per package")
	flag.Parse()
	if err := run(*dbPath, *out, *perPkg); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dbPath, out string, perPkg int) error {
	db, err := advisory.Open(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	all, _ := pep440.ParseSpecifierSet("")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	n := 0
	for _, name := range db.Packages() {
		var versions []string
		seen := map[string]bool{}
		add := func(v string) {
			if v != "" && v != "0" && !seen[v] && len(versions) < perPkg {
				seen[v] = true
				versions = append(versions, v)
			}
		}
		for _, e := range db.QuerySpec(name, all) {
			for _, a := range e.Affected {
				if len(a.Versions) > 0 {
					add(a.Versions[len(a.Versions)/2])
				}
				for _, r := range a.Ranges {
					for _, ev := range r.Events {
						add(ev.Fixed)
					}
				}
			}
		}
		for _, v := range versions {
			q := osvclient.PyPIQuery(name, v)
			if n%10 == 9 {
				q = osvclient.Query{Package: &osvclient.Package{PURL: "pkg:pypi/" + name + "@" + v}}
			}
			if err := enc.Encode(q); err != nil {
				return err
			}
			n++
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %d queries for %d packages in %s\n", n, len(db.Packages()), out)
	return nil
}
