package main

import (
	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/inventory"
)

// addEnvironmentFlags registers the installed-environment flags of a
// command that audits the active environment when it is given no path and
// the current directory holds no dependency files (pip-audit's default).
func addEnvironmentFlags(cmd *cobra.Command, o *inventory.Options) {
	o.ActiveEnvironment = true
	f := cmd.Flags()
	f.BoolVarP(&o.Local, "local", "l", false, "audit only the packages installed in the active environment itself, not the user or system site-packages")
	f.StringArrayVar(&o.InstallPaths, "path", nil, "audit the distributions installed in DIR (a site-packages folder or a virtualenv; repeatable)")
}
