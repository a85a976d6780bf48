package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/verify"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// verifyRootFlags are the trusted-root flags every Sigstore subcommand shares.
type verifyRootFlags struct {
	app         *app
	trustedRoot string
	tufMirror   string
}

func (f *verifyRootFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json to verify against (default: TUF refresh, or the cached / embedded production root with --offline)")
	c.Flags().StringVar(&f.tufMirror, "tuf-mirror", "", "TUF repository URL for the trusted root refresh (default "+"https://tuf-repo-cdn.sigstore.dev)")
}

// options are the trusted-root options of the flags.
func (f *verifyRootFlags) options() sigstore.RootOptions {
	a := f.app
	return sigstore.RootOptions{File: f.trustedRoot, Offline: a.offline, CacheDir: filepath.Join(a.cacheDir(), "sigstore"), MirrorURL: f.tufMirror}
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// verifyExit maps an error of the verify packages to an exit status: 2 for
// input pyvet cannot use, 1 for a failed verification.
func verifyExit(err error) error {
	if sigstore.KindOf(err).InputKind() {
		return exitWith(exitUsage, err)
	}
	return exitWith(exitFindings, fmt.Errorf("verification FAILED: %w", err))
}

// renderVerify prints a verification result and maps it to the exit
// status: success only for a verified result, or for a not-verified one the
// user asked for (allowUnverified); the printed label says NOT VERIFIED
// either way. A failed result is printed as JSON with --json; its reason goes
// to stderr.
func (a *app) renderVerify(cmd *cobra.Command, res *verify.Result, err error, allowUnverified bool) error {
	if !a.quiet {
		for _, w := range res.Warnings {
			fmt.Fprintln(cmd.ErrOrStderr(), "pyvet: warning:", w)
		}
	}
	w := cmd.OutOrStdout()
	if a.verifyJSON && !res.Failure.InputKind() {
		printJSON(w, res)
	}
	if err != nil {
		return verifyExit(err)
	}
	if !a.verifyJSON {
		if res.Command == verify.CommandDist {
			for i := range res.Attestations {
				printResult(w, &res.Attestations[i])
			}
		} else {
			printResult(w, res)
		}
	}
	switch {
	case res.Status.Verified():
		return nil
	case res.Status == sigstore.StatusNotVerified && allowUnverified:
		return nil
	case res.Status == sigstore.StatusNotVerified:
		return exitWith(exitFindings, fmt.Errorf("verification FAILED: %s: nothing was verified", res.Artifact))
	}
	return exitWith(exitFindings, fmt.Errorf("verification FAILED: %s", res.Artifact))
}

// printResult prints one result as text: the label line and its evidence.
func printResult(w io.Writer, r *verify.Result) {
	if r.Expected != "" {
		fmt.Fprintln(w, "expected: "+r.Expected)
	}
	fmt.Fprintf(w, "%s: %s\n", r.Status, r.Artifact)
	var fields [][2]string
	switch r.Command {
	case verify.CommandDist:
		fields = append(fields, [2]string{"published by", r.Publisher}, [2]string{"predicate", r.PredicateType})
	case verify.CommandProvenance:
		fields = append(fields, [2]string{"predicate", r.PredicateType}, [2]string{"builder", r.Builder}, [2]string{"sources", strings.Join(r.Sources, ", ")}, [2]string{"provenance", r.Provenance})
	}
	if r.Sigstore != nil {
		fields = append(fields, [2]string{"signer", r.Identity}, [2]string{"issuer", r.Issuer})
		if r.SourceRepository != "" {
			fields = append(fields, [2]string{"source", fmt.Sprintf("%s @ %s (%s)", r.SourceRepository, r.SourceRef, r.SourceDigest)})
		}
		if !r.SignedAt.IsZero() {
			fields = append(fields, [2]string{"signed", r.SignedAt.UTC().Format(time.RFC3339)})
		}
		fields = append(fields, [2]string{"bundle", r.BundleVersion}, [2]string{"root", r.RootSource})
	}
	if r.Note != "" {
		fields = append(fields, [2]string{"note", r.Note})
	}
	width := 0
	for _, f := range fields {
		width = max(width, len(f[0])+1)
	}
	for _, f := range fields {
		fmt.Fprintf(w, "  %-*s %s\n", width, f[0]+":", f[1])
	}
	if r.Sigstore != nil {
		fmt.Fprintln(w, "  evidence:")
		for _, e := range r.Checks {
			fmt.Fprintf(w, "    - %s\n", e)
		}
	}
}

func newVerifyCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "verify",
		Short: "Verify that artifacts are legitimate: Sigstore, CPython releases, PEP 740 attestations, provenance, hashes, installed files",
		Long: "verify checks artifacts a Python user touches. Exit status: 0 verified, 1 verification failed (the reason is printed),\n" +
			"2 bad usage or unreadable input.",
	}
	c.PersistentFlags().BoolVar(&a.verifyJSON, "json", false, "print the result as JSON")
	c.AddCommand(newVerifyArtifactCmd(a), newVerifyCPythonCmd(a), newVerifyDistCmd(a), newVerifyProvenanceCmd(a), newVerifyHashesCmd(a), newVerifyEnvCmd(a))
	return c
}

func newVerifyArtifactCmd(a *app) *cobra.Command {
	rf := verifyRootFlags{app: a}
	var bundlePath, digest string
	var id sigstore.Identity
	c := &cobra.Command{
		Use:   "artifact [FILE] --bundle FILE.sigstore --cert-identity ID --cert-oidc-issuer URL",
		Short: "Verify a Sigstore bundle (v0.1-v0.3, message signature or DSSE) for a file or digest",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := verify.VerifyArtifact(cmd.Context(), verify.ArtifactOptions{Path: firstArg(args), Digest: digest, Bundle: bundlePath, Identity: id, Root: rf.options()})
			return a.renderVerify(cmd, res, err, false)
		},
	}
	rf.add(c)
	c.Flags().StringVar(&bundlePath, "bundle", "", "Sigstore bundle (default FILE.sigstore or FILE.sigstore.json)")
	c.Flags().StringVar(&digest, "digest", "", "verify against this digest (sha256:HEX) instead of a FILE")
	c.Flags().StringVar(&id.SAN, "cert-identity", "", "expected certificate identity (SAN: email or URI)")
	c.Flags().StringVar(&id.SANRegexp, "cert-identity-regexp", "", "regular expression the certificate identity must match")
	c.Flags().StringVar(&id.Issuer, "cert-oidc-issuer", "", "expected OIDC issuer")
	c.Flags().StringVar(&id.IssuerRegexp, "cert-oidc-issuer-regexp", "", "regular expression the OIDC issuer must match")
	return c
}

func newVerifyCPythonCmd(a *app) *cobra.Command {
	rf := verifyRootFlags{app: a}
	var bundlePath, digest, version, identities string
	c := &cobra.Command{
		Use:   "cpython [FILE] [--bundle FILE.sigstore] [--digest sha256:HEX --version X.Y.Z]",
		Short: "Verify a CPython release artifact against the release manager identity python.org publishes for its series",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := verify.VerifyCPython(cmd.Context(), verify.CPythonOptions{Path: firstArg(args), Digest: digest, Bundle: bundlePath, Version: version, Identities: identities, Root: rf.options()})
			return a.renderVerify(cmd, res, err, false)
		},
	}
	rf.add(c)
	c.Flags().StringVar(&bundlePath, "bundle", "", "Sigstore bundle (default FILE.sigstore)")
	c.Flags().StringVar(&digest, "digest", "", "verify against this digest (sha256:HEX) instead of a FILE")
	c.Flags().StringVar(&version, "version", "", "CPython version (default: inferred from the file name)")
	c.Flags().StringVar(&identities, "identities", "", "YAML file of release managers (series, identity, issuer) tried before the built-in table")
	return c
}

func newVerifyDistCmd(a *app) *cobra.Command {
	rf := verifyRootFlags{app: a}
	var attPath, provPath, repo, kind, workflow, indexURL string
	var id sigstore.Identity
	var timeout time.Duration
	var retries int
	c := &cobra.Command{
		Use:   "dist FILE.whl|FILE.tar.gz [--attestation FILE | --provenance FILE] [--repository OWNER/REPO [--workflow FILE]]",
		Short: "Verify PEP 740 attestations of a distribution file (from files, or online from the index's integrity API)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := verify.VerifyDist(cmd.Context(), verify.DistOptions{Path: args[0], Attestation: attPath, Provenance: provPath,
				Repository: repo, Publisher: kind, Workflow: workflow, Identity: id, IndexURL: indexURL, Timeout: timeout, Retries: retries, Root: rf.options()})
			return a.renderVerify(cmd, res, err, false)
		},
	}
	rf.add(c)
	c.Flags().StringVar(&attPath, "attestation", "", "PEP 740 attestation file")
	c.Flags().StringVar(&provPath, "provenance", "", "PyPI provenance object (integrity API response)")
	c.Flags().StringVar(&repo, "repository", "", "Trusted Publisher repository: OWNER/REPO or https://github.com/OWNER/REPO or https://gitlab.com/NS/PROJECT")
	c.Flags().StringVar(&kind, "publisher", "", "Trusted Publisher kind: github (default) or gitlab")
	c.Flags().StringVar(&workflow, "workflow", "", "Trusted Publisher workflow file (e.g. release.yml, .gitlab-ci.yml)")
	c.Flags().StringVar(&id.SAN, "cert-identity", "", "expected certificate identity instead of a Trusted Publisher")
	c.Flags().StringVar(&id.SANRegexp, "cert-identity-regexp", "", "regular expression the certificate identity must match")
	c.Flags().StringVar(&id.Issuer, "cert-oidc-issuer", "", "expected OIDC issuer (with --cert-identity)")
	c.Flags().StringVar(&indexURL, "index-url", pep740.DefaultIndexURL, "index URL (Simple API base, as pip means it); the integrity API is derived from it")
	c.Flags().DurationVar(&timeout, "timeout", 20*time.Second, "timeout per HTTP request")
	c.Flags().IntVar(&retries, "retries", 2, "retries for failed HTTP requests")
	return c
}

func newVerifyProvenanceCmd(a *app) *cobra.Command {
	rf := verifyRootFlags{app: a}
	var provPath, builder, source string
	var predTypes []string
	var id sigstore.Identity
	var subjectsOnly bool
	c := &cobra.Command{
		Use:   "provenance FILE --provenance FILE [--builder-id ID] [--source-repository REPO]",
		Short: "Verify an in-toto / SLSA provenance statement in a Sigstore bundle against an artifact",
		Long: "provenance verifies a Sigstore bundle holding an in-toto / SLSA statement: its signature against the trusted root\n" +
			"and the signer identity (--cert-identity, --cert-oidc-issuer), its subjects against the artifact's digest, and the\n" +
			"builder and source repository it names. A bare statement or a DSSE envelope carries no verifiable signature and is\n" +
			"refused (exit 1); --subjects-only compares its subjects with the artifact anyway and reports NOT VERIFIED.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := verify.VerifyProvenanceFile(cmd.Context(), verify.ProvenanceFileOptions{Path: args[0], Provenance: provPath,
				Policy: verify.ProvenancePolicy{PredicateTypes: predTypes, BuilderID: builder, SourceRepository: source}, Identity: id, SubjectsOnly: subjectsOnly, Root: rf.options()})
			return a.renderVerify(cmd, res, err, subjectsOnly)
		},
	}
	rf.add(c)
	c.Flags().StringVar(&provPath, "provenance", "", "provenance file: a Sigstore bundle with an in-toto statement (bare statements and DSSE envelopes need --subjects-only)")
	c.Flags().StringVar(&builder, "builder-id", "", "required builder id (a trailing @ or / makes it a prefix)")
	c.Flags().StringVar(&source, "source-repository", "", "required source repository (OWNER/REPO or URL)")
	c.Flags().StringSliceVar(&predTypes, "predicate-type", nil, "allowed predicate types (default SLSA v0.2, v1 and PyPI publish/v1)")
	c.Flags().StringVar(&id.SAN, "cert-identity", "", "expected signer identity of the Sigstore bundle")
	c.Flags().StringVar(&id.SANRegexp, "cert-identity-regexp", "", "regular expression for the signer identity")
	c.Flags().StringVar(&id.Issuer, "cert-oidc-issuer", "", "expected OIDC issuer")
	c.Flags().StringVar(&id.IssuerRegexp, "cert-oidc-issuer-regexp", "", "regular expression the OIDC issuer must match")
	c.Flags().BoolVar(&subjectsOnly, "subjects-only", false, "accept a statement without a verifiable signature for a subjects check only; the result reads NOT VERIFIED (exit 0 when the subjects match)")
	return c
}

func newVerifyHashesCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "hashes WHEELHOUSE|FILE LOCKFILE...",
		Short: "Check downloaded distributions (a folder or one file) against the hashes a lockfile or requirements file pins",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, err := inventory.Load(args[1:], inventory.Options{})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			results, fs, err := verify.CheckHashes(args[0], inv)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			w := cmd.OutOrStdout()
			bad := 0
			for _, r := range results {
				if r.Status != "ok" {
					bad++
				}
			}
			if a.verifyJSON {
				printJSON(w, map[string]any{"results": results, "findings": fs})
				if bad > 0 {
					return exitWith(exitFindings, nil)
				}
				return nil
			}
			for _, r := range results {
				fmt.Fprintf(w, "%-16s %s", r.Status, r.File)
				if r.Detail != "" {
					fmt.Fprintf(w, "  (%s)", r.Detail)
				}
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%d files, %d findings\n", len(results), len(fs))
			if bad > 0 {
				return exitWith(exitFindings, nil)
			}
			return nil
		},
	}
	return c
}

func newVerifyEnvCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "env [VENV]",
		Short: "Re-hash every installed file against its RECORD: modified, missing and unrecorded files, .pth files that run code",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			venv := os.Getenv("VIRTUAL_ENV")
			if len(args) == 1 {
				venv = args[0]
			}
			if venv == "" {
				venv = ".venv"
			}
			rep, err := verify.CheckEnv(venv)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			w := cmd.OutOrStdout()
			if a.verifyJSON {
				printJSON(w, map[string]any{"report": rep, "findings": rep.Findings()})
			}
			for _, p := range rep.Problems {
				if a.verifyJSON {
					break
				}
				who := p.Package
				if who == "" {
					who = "-"
				}
				fmt.Fprintf(w, "%-11s %s  [%s] %s\n", p.Kind, p.Path, who, p.Detail)
			}
			if !a.verifyJSON {
				fmt.Fprintf(w, "%d distributions, %d recorded files, %d problems in %s\n", rep.Packages, rep.Files, len(rep.Problems), strings.Join(rep.SitePackages, ", "))
			}
			for _, p := range rep.Problems {
				if p.Kind == "modified" || p.Kind == "missing" || p.Kind == "not-regular" {
					return exitWith(exitFindings, nil)
				}
			}
			return nil
		},
	}
	return c
}

// firstArg is the first argument, or "".
func firstArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
}
