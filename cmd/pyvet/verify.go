package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	"github.com/pyvet/pyvet/pep508"
)

func init() { subcommands = append(subcommands, newVerifyCmd) }

// verifyRootFlags are the trusted-root flags every Sigstore subcommand shares.
type verifyRootFlags struct {
	trustedRoot string
	tufMirror   string
}

func (f *verifyRootFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json to verify against (default: TUF refresh, or the cached / embedded production root with --offline)")
	c.Flags().StringVar(&f.tufMirror, "tuf-mirror", "", "TUF repository URL for the trusted root refresh (default "+"https://tuf-repo-cdn.sigstore.dev)")
}

func (f *verifyRootFlags) load(ctx context.Context, w io.Writer) (*sigstore.Root, error) {
	r, err := sigstore.LoadRoot(ctx, sigstore.RootOptions{
		File: f.trustedRoot, Offline: global.offline, CacheDir: filepath.Join(cacheDir(), "sigstore"), MirrorURL: f.tufMirror,
	})
	if err != nil {
		return nil, err
	}
	if r.Warning != "" && !global.quiet {
		fmt.Fprintln(os.Stderr, "pyvet: warning:", r.Warning)
	}
	return r, nil
}

// verifyJSON makes verify subcommands print JSON instead of text.
var verifyJSON bool

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// verifyExit maps an error of the verify packages to an exit status.
func verifyExit(err error) error {
	if sigstore.IsInputError(err) {
		return exitWith(exitUsage, err)
	}
	return exitWith(exitFindings, fmt.Errorf("verification FAILED: %w", err))
}

func printResult(w io.Writer, what, expected string, res *sigstore.Result) {
	if verifyJSON {
		printJSON(w, map[string]any{"verified": true, "artifact": what, "expected": expected, "result": res})
		return
	}
	if expected != "" {
		fmt.Fprintln(w, "expected: "+expected)
	}
	fmt.Fprintf(w, "OK: %s\n", what)
	fmt.Fprintf(w, "  signer:   %s\n  issuer:   %s\n", res.SAN, res.Issuer)
	if c := res.Certificate; c != nil && c.SourceRepositoryURI != "" {
		fmt.Fprintf(w, "  source:   %s @ %s (%s)\n", c.SourceRepositoryURI, c.SourceRepositoryRef, c.SourceRepositoryDigest)
	}
	if !res.SignedAt.IsZero() {
		fmt.Fprintf(w, "  signed:   %s\n", res.SignedAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  bundle:   %s\n  root:     %s\n  evidence:\n", res.BundleVersion, res.RootSource)
	for _, e := range res.Evidence {
		fmt.Fprintf(w, "    - %s\n", e)
	}
}

func newVerifyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "verify",
		Short: "Verify that artifacts are legitimate: Sigstore, CPython releases, PEP 740 attestations, provenance, hashes, installed files",
		Long: "verify checks artifacts a Python user touches. Exit status: 0 verified, 1 verification failed (the reason is printed),\n" +
			"2 bad usage or unreadable input.",
	}
	c.PersistentFlags().BoolVar(&verifyJSON, "json", false, "print the result as JSON")
	c.AddCommand(newVerifyArtifactCmd(), newVerifyCPythonCmd(), newVerifyDistCmd(), newVerifyProvenanceCmd(), newVerifyHashesCmd(), newVerifyEnvCmd())
	return c
}

// artifactInput opens FILE or parses --digest.
func artifactInput(args []string, digest string) (sigstore.Artifact, string, func(), error) {
	nop := func() {}
	if digest != "" {
		if len(args) > 0 {
			return sigstore.Artifact{}, "", nop, errors.New("give either FILE or --digest, not both")
		}
		alg, hx, ok := strings.Cut(digest, ":")
		sum, err := hex.DecodeString(hx)
		if !ok || err != nil || (alg != "sha256" && alg != "sha384" && alg != "sha512") {
			return sigstore.Artifact{}, "", nop, fmt.Errorf("--digest %q: want sha256:HEX (or sha384:, sha512:)", digest)
		}
		return sigstore.Artifact{DigestAlg: alg, Digest: sum}, digest, nop, nil
	}
	if len(args) != 1 {
		return sigstore.Artifact{}, "", nop, errors.New("give the artifact FILE or --digest sha256:HEX")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return sigstore.Artifact{}, "", nop, fmt.Errorf("artifact %s: %w", args[0], errors.Unwrap(err))
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return sigstore.Artifact{}, "", nop, fmt.Errorf("artifact %s: is a directory", args[0])
	}
	return sigstore.Artifact{Reader: f}, args[0], func() { f.Close() }, nil
}

func defaultBundle(args []string, bundle string) (string, error) {
	if bundle != "" {
		return bundle, nil
	}
	if len(args) == 1 {
		for _, ext := range []string{".sigstore", ".sigstore.json"} {
			if _, err := os.Stat(args[0] + ext); err == nil {
				return args[0] + ext, nil
			}
		}
		return "", fmt.Errorf("no --bundle given and neither %s.sigstore nor %s.sigstore.json exists", args[0], args[0])
	}
	return "", errors.New("--bundle is required")
}

// runBundleVerify loads the bundle (default: next to the artifact) and the
// trusted root, prints header when set, verifies and prints the result.
func runBundleVerify(cmd *cobra.Command, rf *verifyRootFlags, args []string, bundlePath string, art sigstore.Artifact, ids []sigstore.Identity, header, what string) error {
	bp, err := defaultBundle(args, bundlePath)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	b, err := sigstore.LoadBundle(bp)
	if err != nil {
		return verifyExit(err)
	}
	root, err := rf.load(cmd.Context(), cmd.OutOrStdout())
	if err != nil {
		return verifyExit(err)
	}
	res, err := sigstore.Verify(b, root, art, ids)
	if err != nil {
		if header != "" {
			err = fmt.Errorf("%w (expected: %s)", err, header)
		}
		return verifyExit(err)
	}
	printResult(cmd.OutOrStdout(), what, header, res)
	return nil
}

func newVerifyArtifactCmd() *cobra.Command {
	var rf verifyRootFlags
	var bundlePath, digest string
	var id sigstore.Identity
	c := &cobra.Command{
		Use:   "artifact [FILE] --bundle FILE.sigstore --cert-identity ID --cert-oidc-issuer URL",
		Short: "Verify a Sigstore bundle (v0.1-v0.3, message signature or DSSE) for a file or digest",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			art, what, closeFn, err := artifactInput(args, digest)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			defer closeFn()
			if (id.SAN == "" && id.SANRegexp == "") || (id.Issuer == "" && id.IssuerRegexp == "") {
				return exitWith(exitUsage, errors.New("an identity policy is required: --cert-identity (or --cert-identity-regexp) and --cert-oidc-issuer (or --cert-oidc-issuer-regexp)"))
			}
			return runBundleVerify(cmd, &rf, args, bundlePath, art, []sigstore.Identity{id}, "", what)
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

func newVerifyCPythonCmd() *cobra.Command {
	var rf verifyRootFlags
	var bundlePath, digest, version, identities string
	c := &cobra.Command{
		Use:   "cpython [FILE] [--bundle FILE.sigstore] [--digest sha256:HEX --version X.Y.Z]",
		Short: "Verify a CPython release artifact against the release manager identity python.org publishes for its series",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			art, what, closeFn, err := artifactInput(args, digest)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			defer closeFn()
			if version == "" {
				for _, s := range append(append([]string{}, args...), bundlePath) {
					if v, ok := verify.CPythonVersion(filepath.Base(s)); ok {
						version = v
						break
					}
				}
			}
			if version == "" {
				return exitWith(exitUsage, errors.New("cannot infer the CPython version from the file name: pass --version X.Y.Z"))
			}
			var extra []verify.ReleaseManager
			if identities != "" {
				if extra, err = verify.LoadSigners(identities); err != nil {
					return verifyExit(err)
				}
			}
			ids, why, err := verify.CPythonIdentities(version, extra)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			return runBundleVerify(cmd, &rf, args, bundlePath, art, ids, why, "CPython "+version+" "+what)
		},
	}
	rf.add(c)
	c.Flags().StringVar(&bundlePath, "bundle", "", "Sigstore bundle (default FILE.sigstore)")
	c.Flags().StringVar(&digest, "digest", "", "verify against this digest (sha256:HEX) instead of a FILE")
	c.Flags().StringVar(&version, "version", "", "CPython version (default: inferred from the file name)")
	c.Flags().StringVar(&identities, "identities", "", "YAML file of release managers (series, identity, issuer) tried before the built-in table")
	return c
}

func readDist(path string) (string, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, &sigstore.InputError{Err: fmt.Errorf("distribution %s: %w", path, errors.Unwrap(err))}
	}
	return filepath.Base(path), pep740.Sha256(data), nil
}

func newVerifyDistCmd() *cobra.Command {
	var rf verifyRootFlags
	var attPath, provPath, repo, kind, workflow, indexURL string
	var id sigstore.Identity
	var timeout time.Duration
	var retries int
	c := &cobra.Command{
		Use:   "dist FILE.whl|FILE.tar.gz [--attestation FILE | --provenance FILE] [--repository OWNER/REPO [--workflow FILE]]",
		Short: "Verify PEP 740 attestations of a distribution file (from files, or online from the index's integrity API)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, sum, err := readDist(args[0])
			if err != nil {
				return verifyExit(err)
			}
			var policy *pep740.Policy
			if repo != "" {
				p, err := pep740.ParseRepository(repo, kind, workflow)
				if err != nil {
					return exitWith(exitUsage, err)
				}
				policy = &p
			}
			var ids []sigstore.Identity
			if id.SAN != "" || id.SANRegexp != "" {
				ids = []sigstore.Identity{id}
			}
			if attPath != "" && provPath != "" {
				return exitWith(exitUsage, errors.New("give --attestation or --provenance, not both"))
			}
			root, err := rf.load(ctx, cmd.OutOrStdout())
			if err != nil {
				return verifyExit(err)
			}
			var results []pep740.Result
			switch {
			case attPath != "":
				if policy == nil && ids == nil {
					return exitWith(exitUsage, errors.New("--attestation needs a publisher: --repository OWNER/REPO (Trusted Publisher) or --cert-identity/--cert-oidc-issuer"))
				}
				data, err := os.ReadFile(attPath)
				if err != nil {
					return exitWith(exitUsage, fmt.Errorf("attestation %s: %w", attPath, errors.Unwrap(err)))
				}
				a, err := pep740.ParseAttestation(data, attPath)
				if err != nil {
					return verifyExit(err)
				}
				r, err := pep740.Verify(a, name, sum, root, policy, ids)
				if err != nil {
					return verifyExit(err)
				}
				results = append(results, *r)
			default:
				var prov *pep740.Provenance
				if provPath != "" {
					data, err := os.ReadFile(provPath)
					if err != nil {
						return exitWith(exitUsage, fmt.Errorf("provenance %s: %w", provPath, errors.Unwrap(err)))
					}
					if prov, err = pep740.ParseProvenance(data, provPath); err != nil {
						return verifyExit(err)
					}
				} else {
					if global.offline {
						return exitWith(exitUsage, errors.New("--offline: give --attestation or --provenance (fetching provenance needs the network)"))
					}
					project, version, ok := pep740.ProjectVersion(name)
					if !ok {
						return exitWith(exitUsage, fmt.Errorf("%s is not a wheel or sdist file name", name))
					}
					cl := &pep740.Client{BaseURL: indexURL, Timeout: timeout, Retries: retries}
					if prov, err = cl.Provenance(ctx, pep508.NormalizeName(project), version, name); err != nil {
						if errors.Is(err, pep740.ErrNoProvenance) {
							return exitWith(exitFindings, fmt.Errorf("verification FAILED: %s is not attested: %w", name, err))
						}
						return verifyExit(err)
					}
				}
				rs, err := pep740.VerifyProvenance(prov, name, sum, root, policy)
				if err != nil {
					return verifyExit(err)
				}
				results = rs
			}
			w := cmd.OutOrStdout()
			if verifyJSON {
				printJSON(w, map[string]any{"verified": true, "attestations": results})
				return nil
			}
			for _, r := range results {
				fmt.Fprintf(w, "OK: %s\n  published by: %s\n  predicate:    %s\n", r.File, r.Publisher, r.PredicateType)
				printEvidence(w, r.Sigstore)
			}
			return nil
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
	c.Flags().StringVar(&indexURL, "index-url", pep740.DefaultIndexURL, "index serving the integrity API")
	c.Flags().DurationVar(&timeout, "timeout", 20*time.Second, "timeout per HTTP request")
	c.Flags().IntVar(&retries, "retries", 2, "retries for failed HTTP requests")
	return c
}

func printEvidence(w io.Writer, res *sigstore.Result) {
	if res == nil {
		return
	}
	fmt.Fprintf(w, "  signer:       %s (issuer %s)\n  root:         %s\n  evidence:\n", res.SAN, res.Issuer, res.RootSource)
	for _, e := range res.Evidence {
		fmt.Fprintf(w, "    - %s\n", e)
	}
}

func newVerifyProvenanceCmd() *cobra.Command {
	var rf verifyRootFlags
	var provPath, builder, source string
	var predTypes []string
	var id sigstore.Identity
	c := &cobra.Command{
		Use:   "provenance FILE --provenance FILE [--builder-id ID] [--source-repository REPO]",
		Short: "Check an in-toto / SLSA provenance statement (bare, DSSE or Sigstore bundle) against an artifact",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if provPath == "" {
				return exitWith(exitUsage, errors.New("--provenance FILE is required"))
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return exitWith(exitUsage, fmt.Errorf("artifact %s: %w", args[0], errors.Unwrap(err)))
			}
			pdata, err := os.ReadFile(provPath)
			if err != nil {
				return exitWith(exitUsage, fmt.Errorf("provenance %s: %w", provPath, errors.Unwrap(err)))
			}
			in, err := verify.ParseProvenanceFile(pdata, provPath)
			if err != nil {
				return verifyExit(err)
			}
			digests, err := verify.HashFile(args[0], []string{"sha256", "sha512"})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			hexes := map[string]string{}
			for k, v := range digests {
				hexes[k] = strings.TrimPrefix(v, k+":")
			}
			facts, err := verify.CheckProvenance(in.Statement, filepath.Base(args[0]), hexes, verify.ProvenancePolicy{PredicateTypes: predTypes, BuilderID: builder, SourceRepository: source})
			if err != nil {
				return verifyExit(err)
			}
			w := cmd.OutOrStdout()
			var sres *sigstore.Result
			if in.Kind == "sigstore-bundle" {
				if (id.SAN == "" && id.SANRegexp == "") || id.Issuer == "" {
					return exitWith(exitUsage, errors.New("a Sigstore bundle needs --cert-identity (or --cert-identity-regexp) and --cert-oidc-issuer"))
				}
				root, err := rf.load(cmd.Context(), w)
				if err != nil {
					return verifyExit(err)
				}
				sres, err = sigstore.Verify(in.Bundle, root, sigstore.Artifact{Reader: bytes.NewReader(data)}, []sigstore.Identity{id})
				if err != nil {
					return verifyExit(err)
				}
			}
			fmt.Fprintf(w, "OK: %s\n  predicate: %s\n  builder:   %s\n  sources:   %s\n", args[0], facts.PredicateType, facts.BuilderID, strings.Join(facts.Sources, ", "))
			if sres != nil {
				printEvidence(w, sres)
			} else {
				fmt.Fprintf(w, "  note:      the statement is a %s without a verifiable Sigstore signature: its content was checked, not who wrote it\n", in.Kind)
			}
			return nil
		},
	}
	rf.add(c)
	c.Flags().StringVar(&provPath, "provenance", "", "provenance file: in-toto statement, DSSE envelope or Sigstore bundle")
	c.Flags().StringVar(&builder, "builder-id", "", "required builder id (a trailing @ or / makes it a prefix)")
	c.Flags().StringVar(&source, "source-repository", "", "required source repository (OWNER/REPO or URL)")
	c.Flags().StringSliceVar(&predTypes, "predicate-type", nil, "allowed predicate types (default SLSA v0.2, v1 and PyPI publish/v1)")
	c.Flags().StringVar(&id.SAN, "cert-identity", "", "expected signer identity when the provenance is a Sigstore bundle")
	c.Flags().StringVar(&id.SANRegexp, "cert-identity-regexp", "", "regular expression for the signer identity")
	c.Flags().StringVar(&id.Issuer, "cert-oidc-issuer", "", "expected OIDC issuer")
	return c
}

func newVerifyHashesCmd() *cobra.Command {
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
			if verifyJSON {
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

func newVerifyEnvCmd() *cobra.Command {
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
			if verifyJSON {
				printJSON(w, map[string]any{"report": rep, "findings": rep.Findings()})
			}
			for _, p := range rep.Problems {
				if verifyJSON {
					break
				}
				who := p.Package
				if who == "" {
					who = "-"
				}
				fmt.Fprintf(w, "%-11s %s  [%s] %s\n", p.Kind, p.Path, who, p.Detail)
			}
			if !verifyJSON {
				fmt.Fprintf(w, "%d distributions, %d recorded files, %d problems in %s\n", rep.Packages, rep.Files, len(rep.Problems), strings.Join(rep.SitePackages, ", "))
			}
			for _, p := range rep.Problems {
				if p.Kind == "modified" || p.Kind == "missing" {
					return exitWith(exitFindings, nil)
				}
			}
			return nil
		},
	}
	return c
}
