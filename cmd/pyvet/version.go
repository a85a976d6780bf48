package main

import (
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/report"
)

// version is pyvet's version. Release builds set it:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/pyvet
//
// Unset, it is the module version `go install ...@v1.2.3` records, else "devel".
var version = ""

// toolVersion is the version reports, SARIF logs and SBOMs name.
func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func newVersionCmd(a *app) *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print pyvet's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return rf.emit(cmd, &report.Result{Kind: report.KindVersion, Tool: "pyvet version", Version: toolVersion(),
				Meta: map[string]string{"go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}}, report.Options{})
		},
	}
	addReportFlags(cmd, &rf, "table")
	return cmd
}
