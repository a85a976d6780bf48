package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/pep508"
)

func newDepsCmd(a *app) *cobra.Command {
	var (
		format       string
		pyVersion    string
		platform     string
		allPlatforms bool
		outsideIncl  bool // --allow-outside-includes
	)
	cmd := &cobra.Command{
		Use:   "deps [PATH ...]",
		Short: "List every dependency of a project, lockfile, virtualenv or archive",
		Long: "deps prints the inventory pyvet reads from PATH (default: the current directory): every package with its\n" +
			"version or specifier, whether it is direct or transitive, its source, where it was declared, its parents,\n" +
			"extras, markers and hashes. PATH may be a project directory, any dependency file, a virtualenv,\n" +
			"a site-packages folder, a *.dist-info folder, a wheel or an sdist. Declarations whose environment marker\n" +
			"is false for --python-version / --platform are left out unless --all-platforms is given.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return exitWith(exitUsage, fmt.Errorf("--format must be table or json, not %q", format))
			}
			opts := inventory.Options{AllowOutsideIncludes: outsideIncl}
			if !allPlatforms {
				switch platform {
				case "linux", "darwin", "win32":
				default:
					return exitWith(exitUsage, fmt.Errorf("--platform must be linux, darwin or win32, not %q", platform))
				}
				opts.Env = pep508.DefaultEnv(pyVersion, platform)
			}
			inv, err := inventory.Load(args, opts)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			// Warnings, bounded and with repeats counted, go to standard error
			// in every format; the JSON document keeps them too.
			var notes finding.Notes
			notes.AddAll(inv.Warnings)
			inv.Warnings = notes.Lines()
			// Render fully before writing so an error never leaves partial output.
			var buf bytes.Buffer
			if format == "json" {
				enc := json.NewEncoder(&buf)
				enc.SetIndent("", "  ")
				if err := enc.Encode(inv); err != nil {
					return exitWith(exitUsage, err)
				}
			} else {
				writeDepsTable(&buf, inv)
			}
			writeNotes(cmd.ErrOrStderr(), inv.Warnings)
			_, err = cmd.OutOrStdout().Write(buf.Bytes())
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.Flags().StringVar(&pyVersion, "python-version", "3.12", "target Python version for environment markers")
	cmd.Flags().StringVar(&platform, "platform", "linux", "target platform for environment markers: linux, darwin or win32")
	cmd.Flags().BoolVar(&outsideIncl, "allow-outside-includes", false, "read -r/-c includes of requirements files outside the project (absolute paths, .. above the project root, /proc, /dev, /sys)")
	cmd.Flags().BoolVar(&allPlatforms, "all-platforms", false, "keep every declaration whatever its environment marker")
	return cmd
}

// writeDepsTable prints one row per package.
func writeDepsTable(w io.Writer, inv *inventory.Inventory) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tDIRECT\tSOURCE\tLOCATION\tPARENTS\tEXTRAS\tMARKER\tHASHES")
	for _, p := range inv.Packages {
		version := p.Version
		switch {
		case version != "":
		case p.Specifier != "":
			version = p.Specifier
		case p.Source.Ref != "":
			version = "@" + p.Source.Ref
		default:
			version = "*"
		}
		direct := "transitive"
		if p.Direct {
			direct = "direct"
		}
		if p.Project {
			direct = "project"
		}
		src := string(p.Source.Kind)
		if p.Source.Editable {
			src += " (editable)"
		}
		loc := "-"
		if len(p.Locations) > 0 {
			loc = formatLocation(p.Locations[0])
			if len(p.Locations) > 1 {
				loc += fmt.Sprintf(" (+%d)", len(p.Locations)-1)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", p.Name, version, direct, src, loc,
			dash(abbreviate(p.Parents, 3)), dash(strings.Join(p.Extras, ",")), dash(p.Marker), len(p.Hashes))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d packages (%d direct) from %d sources\n", len(inv.Packages), countDirect(inv), len(inv.Sources))
}

// abbreviate joins the first n items and says how many more there are.
func abbreviate(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ",")
	}
	return fmt.Sprintf("%s (+%d)", strings.Join(items[:n], ","), len(items)-n)
}

func formatLocation(l inventory.Location) string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func countDirect(inv *inventory.Inventory) int {
	n := 0
	for _, p := range inv.Packages {
		if p.Direct {
			n++
		}
	}
	return n
}
