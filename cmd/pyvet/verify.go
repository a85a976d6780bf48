package main

import (
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
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/verify"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
	"github.com/pyvet/pyvet/pep508"
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

// load picks the trusted root; a warning about the choice goes to errw.
func (f *verifyRootFlags) load(ctx context.Context, errw io.Writer) (*sigstore.Root, error) {
	a := f.app
	r, err := sigstore.LoadRoot(ctx, sigstore.RootOptions{
		File: f.trustedRoot, Offline: a.offline, CacheDir: filepath.Join(a.cacheDir(), "sigstore"), MirrorURL: f.tufMirror,
	})
	if err != nil {
		return nil, err
	}
	if r.Warning != "" && !a.quiet {
		fmt.Fprintln(errw, "pyvet: warning:", r.Warning)
	}
	return r, nil
}

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

// verdict is what a verify subcommand established, printed the same way by
// every subcommand: the text label ("OK", "NOT VERIFIED", "FAILED"), the
// JSON "status" and "verified" keys and the exit status all come from
// Status, so nothing reads as verified unless a signature was verified
// against the trusted root, the identity policy and the artifact.
type verdict struct {
	Status   sigstore.Status
	Artifact string
	Expected string
	// Fields are label/value lines printed under the label line.
	Fields [][2]string
	// Sigstore is the signature verification the verdict rests on, if any.
	Sigstore *sigstore.Result
	// Note says what was not verified.
	Note string
	// JSON holds the subcommand's own keys.
	JSON map[string]any
}

func (v *verdict) print(w io.Writer, asJSON bool) {
	if asJSON {
		m := map[string]any{"status": v.Status, "verified": v.Status.Verified(), "artifact": v.Artifact}
		if v.Note != "" {
			m["note"] = v.Note
		}
		for k, x := range v.JSON {
			m[k] = x
		}
		printJSON(w, m)
		return
	}
	v.printText(w)
}

func (v *verdict) printText(w io.Writer) {
	if v.Expected != "" {
		fmt.Fprintln(w, "expected: "+v.Expected)
	}
	fmt.Fprintf(w, "%s: %s\n", v.Status, v.Artifact)
	fields := v.Fields
	if r := v.Sigstore; r != nil {
		fields = append(fields[:len(fields):len(fields)], [2]string{"signer", r.SAN}, [2]string{"issuer", r.Issuer})
		if c := r.Certificate; c != nil && c.SourceRepositoryURI != "" {
			fields = append(fields, [2]string{"source", fmt.Sprintf("%s @ %s (%s)", c.SourceRepositoryURI, c.SourceRepositoryRef, c.SourceRepositoryDigest)})
		}
		if !r.SignedAt.IsZero() {
			fields = append(fields, [2]string{"signed", r.SignedAt.UTC().Format(time.RFC3339)})
		}
		fields = append(fields, [2]string{"bundle", r.BundleVersion}, [2]string{"root", r.RootSource})
	}
	if v.Note != "" {
		fields = append(fields, [2]string{"note", v.Note})
	}
	width := 0
	for _, f := range fields {
		width = max(width, len(f[0])+1)
	}
	for _, f := range fields {
		fmt.Fprintf(w, "  %-*s %s\n", width, f[0]+":", f[1])
	}
	if r := v.Sigstore; r != nil {
		fmt.Fprintln(w, "  evidence:")
		for _, e := range r.Evidence {
			fmt.Fprintf(w, "    - %s\n", e)
		}
	}
}

// exit is the exit status of a verdict: success only for StatusVerified, or
// for StatusNotVerified when the user asked for an unverified check
// (allowUnverified); the printed label says NOT VERIFIED either way.
func (v *verdict) exit(allowUnverified bool) error {
	switch {
	case v.Status.Verified():
		return nil
	case v.Status == sigstore.StatusNotVerified && allowUnverified:
		return nil
	case v.Status == sigstore.StatusNotVerified:
		return exitWith(exitFindings, fmt.Errorf("verification FAILED: %s: nothing was verified", v.Artifact))
	}
	return exitWith(exitFindings, fmt.Errorf("verification FAILED: %s", v.Artifact))
}

// resultVerdict is the verdict of a bundle verification.
func resultVerdict(what, expected string, res *sigstore.Result) *verdict {
	return &verdict{Status: res.Status, Artifact: what, Expected: expected, Sigstore: res,
		JSON: map[string]any{"expected": expected, "result": res}}
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
			return sigstore.Artifact{}, "", nop, fmt.Errorf("--digest %s: want sha256:HEX (or sha384:, sha512:)", safeio.Excerpt(digest))
		}
		return sigstore.Artifact{DigestAlg: alg, Digest: sum}, digest, nop, nil
	}
	if len(args) != 1 {
		return sigstore.Artifact{}, "", nop, errors.New("give the artifact FILE or --digest sha256:HEX")
	}
	// A regular file only, read as a stream up to verify.MaxArtifact bytes.
	f, err := safeio.Open(args[0], verify.MaxArtifact)
	if err != nil {
		return sigstore.Artifact{}, "", nop, fmt.Errorf("artifact %s: %w", args[0], sigstore.FileError(err))
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
	root, err := rf.load(cmd.Context(), cmd.ErrOrStderr())
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
	v := resultVerdict(what, header, res)
	v.print(cmd.OutOrStdout(), rf.app.verifyJSON)
	return v.exit(false)
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

func newVerifyCPythonCmd(a *app) *cobra.Command {
	rf := verifyRootFlags{app: a}
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

// readDist hashes a distribution file as a stream (a regular file of at most
// verify.MaxArtifact bytes) and returns its name and sha256.
func readDist(path string) (string, []byte, error) {
	d, err := verify.HashFile(path, []string{"sha256"})
	if err != nil {
		return "", nil, &sigstore.InputError{Err: fmt.Errorf("distribution %w", err)}
	}
	sum, err := hex.DecodeString(strings.TrimPrefix(d["sha256"], "sha256:"))
	if err != nil {
		return "", nil, err
	}
	return filepath.Base(path), sum, nil
}

// readInput reads a JSON input file given by a flag: a regular file of at
// most safeio.MaxJSON bytes. Errors are InputErrors naming what and the file.
func readInput(what, path string) ([]byte, error) {
	data, err := safeio.ReadFile(path, safeio.MaxJSON)
	if err != nil {
		return nil, &sigstore.InputError{Err: fmt.Errorf("%s %s: %w", what, path, sigstore.FileError(err))}
	}
	return data, nil
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
			root, err := rf.load(ctx, cmd.ErrOrStderr())
			if err != nil {
				return verifyExit(err)
			}
			var results []pep740.Result
			switch {
			case attPath != "":
				if policy == nil && ids == nil {
					return exitWith(exitUsage, errors.New("--attestation needs a publisher: --repository OWNER/REPO (Trusted Publisher) or --cert-identity/--cert-oidc-issuer"))
				}
				data, err := readInput("attestation", attPath)
				if err != nil {
					return verifyExit(err)
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
					data, err := readInput("provenance", provPath)
					if err != nil {
						return verifyExit(err)
					}
					if prov, err = pep740.ParseProvenance(data, provPath); err != nil {
						return verifyExit(err)
					}
				} else {
					if a.offline {
						return exitWith(exitUsage, errors.New("--offline: give --attestation or --provenance (fetching provenance needs the network)"))
					}
					project, version, ok := pep740.ProjectVersion(name)
					if !ok {
						return exitWith(exitUsage, fmt.Errorf("%s is not a wheel or sdist file name", name))
					}
					cl := &pep740.Client{IndexURL: indexURL, Timeout: timeout, Retries: retries}
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
			return printDist(cmd.OutOrStdout(), name, results, a.verifyJSON)
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

// printDist prints the attestations of a distribution: verified only when
// there is at least one and every one verified.
func printDist(w io.Writer, name string, results []pep740.Result, asJSON bool) error {
	overall := sigstore.StatusFailed
	if len(results) > 0 {
		overall = sigstore.StatusVerified
	}
	var vs []*verdict
	for _, r := range results {
		v := &verdict{Status: r.Status, Artifact: r.File, Sigstore: r.Sigstore,
			Fields: [][2]string{{"published by", r.Publisher}, {"predicate", r.PredicateType}}}
		if !r.PublisherRequired {
			v.Fields = append(v.Fields, [2]string{"publisher", "as the provenance names it (no --repository given)"})
		}
		if r.Status != sigstore.StatusVerified {
			overall = min(overall, r.Status)
		}
		vs = append(vs, v)
	}
	total := &verdict{Status: overall, Artifact: name, JSON: map[string]any{"attestations": results}}
	if asJSON {
		total.print(w, true)
	} else {
		for _, v := range vs {
			v.printText(w)
		}
	}
	return total.exit(false)
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
			if provPath == "" {
				return exitWith(exitUsage, errors.New("--provenance FILE is required"))
			}
			pdata, err := readInput("provenance", provPath)
			if err != nil {
				return verifyExit(err)
			}
			in, err := verify.ParseProvenanceFile(pdata, provPath)
			if err != nil {
				return verifyExit(err)
			}
			// The artifact is hashed as a stream: a regular file only.
			digests, err := verify.HashFile(args[0], []string{"sha256", "sha512"})
			if err != nil {
				return exitWith(exitUsage, fmt.Errorf("artifact %w", err))
			}
			hexes := map[string]string{}
			for k, v := range digests {
				hexes[k] = strings.TrimPrefix(v, k+":")
			}
			opts := verify.ProvenanceOptions{
				Policy:       verify.ProvenancePolicy{PredicateTypes: predTypes, BuilderID: builder, SourceRepository: source},
				SubjectsOnly: subjectsOnly,
			}
			w := cmd.OutOrStdout()
			if in.Kind == "sigstore-bundle" {
				if (id.SAN == "" && id.SANRegexp == "") || (id.Issuer == "" && id.IssuerRegexp == "") {
					return exitWith(exitUsage, errors.New("a Sigstore bundle needs --cert-identity (or --cert-identity-regexp) and --cert-oidc-issuer (or --cert-oidc-issuer-regexp)"))
				}
				if opts.Root, err = rf.load(cmd.Context(), cmd.ErrOrStderr()); err != nil {
					return verifyExit(err)
				}
				opts.Identities = []sigstore.Identity{id}
			}
			res, err := verify.VerifyProvenance(in, filepath.Base(args[0]), hexes, opts)
			if err != nil {
				if in.Kind != "sigstore-bundle" && !subjectsOnly {
					err = fmt.Errorf("%w; give the provenance as a Sigstore bundle (with --cert-identity and --cert-oidc-issuer), or pass --subjects-only to compare its subjects with the artifact without verifying who wrote it", err)
				}
				return verifyExit(err)
			}
			f := res.Facts
			v := &verdict{Status: res.Status, Artifact: args[0], Sigstore: res.Sigstore, Note: res.Note,
				Fields: [][2]string{{"predicate", f.PredicateType}, {"builder", f.BuilderID}, {"sources", strings.Join(f.Sources, ", ")}, {"provenance", in.Kind}},
				JSON:   map[string]any{"provenance": in.Kind, "predicate_type": f.PredicateType, "builder": f.BuilderID, "sources": f.Sources, "sigstore": res.Sigstore}}
			v.print(w, a.verifyJSON)
			return v.exit(subjectsOnly)
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
