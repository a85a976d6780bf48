package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/report"
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

// addIdentityFlags adds the signer identity policy flags: --cert-identity
// (described by san) or its regexp, and the OIDC issuer or its regexp.
func addIdentityFlags(c *cobra.Command, id *sigstore.Identity, san string) {
	c.Flags().StringVar(&id.SAN, "cert-identity", "", san)
	c.Flags().StringVar(&id.SANRegexp, "cert-identity-regexp", "", "regular expression the certificate identity must match")
	c.Flags().StringVar(&id.Issuer, "cert-oidc-issuer", "", "expected OIDC issuer")
	c.Flags().StringVar(&id.IssuerRegexp, "cert-oidc-issuer-regexp", "", "regular expression the OIDC issuer must match")
}

// verifyExit maps an error of the verify packages to an exit status: 2 for
// input pyvet cannot use, 3 (the network's, see exitStatus) when the
// network prevented the verification, 1 for a failed verification.
func verifyExit(err error) error {
	if sigstore.KindOf(err).InputKind() {
		return exitWith(exitUsage, err)
	}
	if errors.Is(err, httpx.ErrNetwork) {
		// Nothing was verified: not a failed verification.
		return fmt.Errorf("verification not done: %w", err)
	}
	return exitWith(exitFindings, fmt.Errorf("verification FAILED: %w", err))
}

// verifyOutput is what every verify subcommand shares: the app and the
// report flags (-f/--format, -o/--output, and --json for -f json).
type verifyOutput struct {
	a      *app
	rf     reportFlags
	asJSON bool
}

// run wraps a subcommand's work: the format is checked before any.
func (v *verifyOutput) run(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if v.asJSON {
			v.rf.format = "json"
		}
		if err := v.rf.check(); err != nil {
			return err
		}
		return fn(cmd, args)
	}
}

// emit reports one verification through the report layer, with the
// findings of a hashes or env check as the run's (SARIF lists them), and
// returns fail, the run's exit status (nil: success), once the report is
// written; a report that cannot be written is exit 2.
func (v *verifyOutput) emit(cmd *cobra.Command, ver report.Verification, fail error) error {
	res := &report.Result{Kind: report.KindVerify, Tool: cmd.CommandPath(), Version: toolVersion(), Verifications: []report.Verification{ver}, Failed: fail != nil}
	switch {
	case ver.Hashes != nil:
		res.Findings = ver.Hashes.Findings
	case ver.Env != nil:
		res.Findings = ver.Env.Findings()
	}
	if err := v.rf.emit(cmd, res, report.Options{}); err != nil {
		return err
	}
	return fail
}

// failedExit is exit status 1 when failed, else nil.
func failedExit(failed bool) error {
	if failed {
		return exitWith(exitFindings, nil)
	}
	return nil
}

// render reports a verification result and maps it to the exit status:
// success only for a verified result, or for a not-verified one the user
// asked for (allowUnverified); the label says NOT VERIFIED either way. A
// failed verification's reason goes to standard error; the document formats
// record the failed result too, the table prints only results that were
// checked to the end. Input pyvet cannot use is reported on standard error
// only (exit 2).
func (v *verifyOutput) render(cmd *cobra.Command, res *verify.Result, err error, allowUnverified bool) error {
	if v.a.showProgress() {
		for _, w := range res.Warnings {
			fmt.Fprintln(cmd.ErrOrStderr(), "pyvet: warning:", w)
		}
	}
	if err != nil && res.Failure.InputKind() {
		return verifyExit(err)
	}
	var fail error
	switch {
	case err != nil:
		fail = verifyExit(err)
	case res.Status.Verified():
	case res.Status == sigstore.StatusNotVerified && allowUnverified:
	case res.Status == sigstore.StatusNotVerified:
		fail = exitWith(exitFindings, fmt.Errorf("verification FAILED: %s: nothing was verified", res.Artifact))
	default:
		fail = exitWith(exitFindings, fmt.Errorf("verification FAILED: %s", res.Artifact))
	}
	if err != nil && strings.EqualFold(v.rf.format, "table") {
		return fail
	}
	return v.emit(cmd, report.Verification{Result: res}, fail)
}

func newVerifyCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "verify",
		Short: "Verify that artifacts are legitimate: Sigstore, CPython releases, PEP 740 attestations, provenance, hashes, installed files",
		Long: "verify checks artifacts a Python user touches. Exit status: 0 verified, 1 verification failed (the reason is printed),\n" +
			"2 bad usage or unreadable input.",
	}
	v := &verifyOutput{a: a}
	addReportFlagSet(c.PersistentFlags(), &v.rf, "table")
	c.PersistentFlags().BoolVar(&v.asJSON, "json", false, "print the result as JSON (-f json)")
	c.AddCommand(newVerifyArtifactCmd(v), newVerifyCPythonCmd(v), newVerifyDistCmd(v), newVerifyProvenanceCmd(v), newVerifyHashesCmd(v), newVerifyEnvCmd(v))
	return c
}

func newVerifyArtifactCmd(v *verifyOutput) *cobra.Command {
	rf := verifyRootFlags{app: v.a}
	var bundlePath, digest string
	var id sigstore.Identity
	c := &cobra.Command{
		Use:   "artifact [FILE] --bundle FILE.sigstore --cert-identity ID --cert-oidc-issuer URL",
		Short: "Verify a Sigstore bundle (v0.1-v0.3, message signature or DSSE) for a file or digest",
		Args:  cobra.MaximumNArgs(1),
		RunE: v.run(func(cmd *cobra.Command, args []string) error {
			res, err := verify.VerifyArtifact(cmd.Context(), verify.ArtifactOptions{Path: firstArg(args), Digest: digest, Bundle: bundlePath, Identity: id, Root: rf.options()})
			return v.render(cmd, res, err, false)
		}),
	}
	rf.add(c)
	c.Flags().StringVar(&bundlePath, "bundle", "", "Sigstore bundle (default FILE.sigstore or FILE.sigstore.json)")
	c.Flags().StringVar(&digest, "digest", "", "verify against this digest (sha256:HEX) instead of a FILE")
	addIdentityFlags(c, &id, "expected certificate identity (SAN: email or URI)")
	return c
}

func newVerifyCPythonCmd(v *verifyOutput) *cobra.Command {
	rf := verifyRootFlags{app: v.a}
	var bundlePath, digest, version, identities string
	c := &cobra.Command{
		Use:   "cpython [FILE] [--bundle FILE.sigstore] [--digest sha256:HEX --version X.Y.Z]",
		Short: "Verify a CPython release artifact against the release manager identity python.org publishes for its series",
		Args:  cobra.MaximumNArgs(1),
		RunE: v.run(func(cmd *cobra.Command, args []string) error {
			res, err := verify.VerifyCPython(cmd.Context(), verify.CPythonOptions{Path: firstArg(args), Digest: digest, Bundle: bundlePath, Version: version, Identities: identities, Root: rf.options()})
			return v.render(cmd, res, err, false)
		}),
	}
	rf.add(c)
	c.Flags().StringVar(&bundlePath, "bundle", "", "Sigstore bundle (default FILE.sigstore)")
	c.Flags().StringVar(&digest, "digest", "", "verify against this digest (sha256:HEX) instead of a FILE")
	c.Flags().StringVar(&version, "version", "", "CPython version (default: inferred from the file name)")
	c.Flags().StringVar(&identities, "identities", "", "YAML file of release managers (series, identity, issuer) tried before the built-in table")
	return c
}

func newVerifyDistCmd(v *verifyOutput) *cobra.Command {
	rf := verifyRootFlags{app: v.a}
	var attPath, provPath, repo, kind, workflow, indexURL string
	var id sigstore.Identity
	var timeout time.Duration
	var retries int
	c := &cobra.Command{
		Use:   "dist FILE.whl|FILE.tar.gz [--attestation FILE | --provenance FILE] [--repository OWNER/REPO [--workflow FILE]]",
		Short: "Verify PEP 740 attestations of a distribution file (from files, or online from the index's integrity API)",
		Args:  cobra.ExactArgs(1),
		RunE: v.run(func(cmd *cobra.Command, args []string) error {
			res, err := verify.VerifyDist(cmd.Context(), verify.DistOptions{Path: args[0], Attestation: attPath, Provenance: provPath,
				Repository: repo, Publisher: kind, Workflow: workflow, Identity: id, IndexURL: indexURL, Timeout: timeout, Retries: retries, Root: rf.options()})
			return v.render(cmd, res, err, false)
		}),
	}
	rf.add(c)
	c.Flags().StringVar(&attPath, "attestation", "", "PEP 740 attestation file")
	c.Flags().StringVar(&provPath, "provenance", "", "PyPI provenance object (integrity API response)")
	c.Flags().StringVar(&repo, "repository", "", "Trusted Publisher repository: OWNER/REPO or https://github.com/OWNER/REPO or https://gitlab.com/NS/PROJECT")
	c.Flags().StringVar(&kind, "publisher", "", "Trusted Publisher kind: github (default) or gitlab")
	c.Flags().StringVar(&workflow, "workflow", "", "Trusted Publisher workflow file (e.g. release.yml, .gitlab-ci.yml)")
	addIdentityFlags(c, &id, "expected certificate identity instead of a Trusted Publisher")
	c.Flags().StringVar(&indexURL, "index-url", pep740.DefaultIndexURL, "index URL (Simple API base, as pip means it); the integrity API is derived from it")
	c.Flags().DurationVar(&timeout, "timeout", 20*time.Second, "timeout per HTTP request")
	c.Flags().IntVar(&retries, "retries", 2, "retries for failed HTTP requests")
	return c
}

func newVerifyProvenanceCmd(v *verifyOutput) *cobra.Command {
	rf := verifyRootFlags{app: v.a}
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
		RunE: v.run(func(cmd *cobra.Command, args []string) error {
			res, err := verify.VerifyProvenanceFile(cmd.Context(), verify.ProvenanceFileOptions{Path: args[0], Provenance: provPath,
				Policy: verify.ProvenancePolicy{PredicateTypes: predTypes, BuilderID: builder, SourceRepository: source}, Identity: id, SubjectsOnly: subjectsOnly, Root: rf.options()})
			return v.render(cmd, res, err, subjectsOnly)
		}),
	}
	rf.add(c)
	c.Flags().StringVar(&provPath, "provenance", "", "provenance file: a Sigstore bundle with an in-toto statement (bare statements and DSSE envelopes need --subjects-only)")
	c.Flags().StringVar(&builder, "builder-id", "", "required builder id (a trailing @ or / makes it a prefix)")
	c.Flags().StringVar(&source, "source-repository", "", "required source repository (OWNER/REPO or URL)")
	c.Flags().StringSliceVar(&predTypes, "predicate-type", nil, "allowed predicate types (default SLSA v0.2, v1 and PyPI publish/v1)")
	addIdentityFlags(c, &id, "expected signer identity of the Sigstore bundle")
	c.Flags().BoolVar(&subjectsOnly, "subjects-only", false, "accept a statement without a verifiable signature for a subjects check only; the result reads NOT VERIFIED (exit 0 when the subjects match)")
	return c
}

func newVerifyHashesCmd(v *verifyOutput) *cobra.Command {
	return &cobra.Command{
		Use:   "hashes WHEELHOUSE|FILE LOCKFILE...",
		Short: "Check downloaded distributions (a folder or one file) against the hashes a lockfile or requirements file pins",
		Args:  cobra.MinimumNArgs(2),
		RunE: v.run(func(cmd *cobra.Command, args []string) error {
			rep, err := verify.Hashes(cmd.Context(), verify.HashesOptions{Path: args[0], Lockfiles: args[1:]})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			return v.emit(cmd, report.Verification{Hashes: rep}, failedExit(rep.Failed()))
		}),
	}
}

func newVerifyEnvCmd(v *verifyOutput) *cobra.Command {
	return &cobra.Command{
		Use:   "env [VENV]",
		Short: "Re-hash every installed file against its RECORD: modified, missing and unrecorded files, .pth files that run code",
		Args:  cobra.MaximumNArgs(1),
		RunE: v.run(func(cmd *cobra.Command, args []string) error {
			rep, err := verify.Env(cmd.Context(), verify.EnvOptions{Venv: firstArg(args)})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			return v.emit(cmd, report.Verification{Env: rep}, failedExit(rep.Failed()))
		}),
	}
}

// firstArg is the first argument, or "".
func firstArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
}
