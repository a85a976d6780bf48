package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/check/pinning"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/report"
)

// addPolicyFlags registers the policy flags every gating command (audit,
// fix, policy show) shares.
func addPolicyFlags(cmd *cobra.Command, fl *policy.Flags) {
	addPolicyInputFlags(cmd, fl)
	cmd.Flags().StringVar(&fl.FailOn, "fail-on", "", "fail when a finding is at or above this severity: info, low, medium, high, critical, malicious (default: the policy's, else low)")
}

// addPolicyInputFlags registers the policy flags of commands that read the
// policy without gating on it (sbom): the same names, meaning the same, as
// addPolicyFlags, without --fail-on.
func addPolicyInputFlags(cmd *cobra.Command, fl *policy.Flags) {
	f := cmd.Flags()
	f.StringVar(&fl.File, "policy", "", "policy file (default: pyvet.toml, then [tool.pyvet] in pyproject.toml, in the project directory)")
	f.StringArrayVar(&fl.Ignore, "ignore-vuln", nil, "ignore an advisory id, alias or rule id (ID or ID:package); repeatable")
	f.StringArrayVar(&fl.Disable, "disable", nil, "turn a check or rule off (comma-separated or repeated; pyvet policy show lists them)")
	f.StringArrayVar(&fl.Enable, "enable", nil, "turn a check or rule on (comma-separated or repeated)")
}

func newPolicyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show the effective policy and the rules it governs",
		Long: "A policy (pyvet.toml, or [tool.pyvet] in pyproject.toml) decides which checks run, how severe each kind\n" +
			"of finding is, which findings are accepted, which licences and indexes are allowed, and at which severity\n" +
			"a run fails. Flags override pyvet.toml, which overrides [tool.pyvet], which overrides the defaults.",
	}
	cmd.AddCommand(newPolicyShowCmd(a), newPolicyRulesCmd(a))
	return cmd
}

func newPolicyShowCmd(a *app) *cobra.Command {
	var fl policy.Flags
	var rf reportFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show [DIR]",
		Short: "Print the effective policy and where each value came from",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := rf.check(); err != nil {
				return err
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return exitWith(exitUsage, fmt.Errorf("%s: not a project directory", dir))
			}
			p, err := fl.Resolve(dir)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(p.Entries())
			}
			return rf.emit(cmd, &report.Result{Kind: report.KindPolicy, Tool: "pyvet policy show", Version: toolVersion(), Policy: p.Entries()}, report.Options{})
		},
	}
	addPolicyFlags(cmd, &fl)
	addReportFlags(cmd, &rf, "table")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the entries alone as a JSON array (key, value, origin); -f json writes the protocol's document")
	return cmd
}

func newPolicyRulesCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "List the unapproved-change (pinning) rules with their default severity",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tSEVERITY\tWHAT")
			for _, r := range pinning.Rules() {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Name)
			}
			return tw.Flush()
		},
	}
}
