package sigstore

import (
	"context"
	_ "embed" // the embedded production trusted root
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/safeio"
)

// embeddedTrustedRoot is the Sigstore public-good trusted root shipped in the
// github.com/sigstore/sigstore module (see embedded/NOTICE).
//
//go:embed embedded/trusted_root.json
var embeddedTrustedRoot []byte

// EmbeddedRootSource describes the embedded trusted root in results.
const EmbeddedRootSource = "embedded Sigstore production trusted root (snapshot from github.com/sigstore/sigstore v1.10.8)"

// RootOptions choose the trusted root.
type RootOptions struct {
	// File is a trusted_root.json to use instead of any other source.
	File string
	// Offline forbids the TUF refresh: the last refreshed root in CacheDir is
	// used when its TUF metadata verifies from the trust anchor, else the
	// embedded snapshot.
	Offline bool
	// CacheDir holds the TUF metadata and the last refreshed trusted root
	// with the metadata that vouches for it.
	// Empty means no cache: TUF runs in memory.
	CacheDir string
	// MirrorURL is the TUF repository; default tuf.DefaultMirror.
	MirrorURL string
	// TUFRoot is the TUF trust anchor (root.json); default the production one
	// embedded in sigstore-go.
	TUFRoot []byte
	// Timeout bounds each TUF download (default 30s); Retries is how many
	// times a failed download is retried (default 2).
	Timeout time.Duration
	Retries int
}

// Root is a trusted root and where it came from.
type Root struct {
	Material root.TrustedMaterial
	Source   string
	// Warning is set when the preferred source failed and a fallback was used.
	Warning string
}

// EmbeddedRoot returns the embedded production trusted root.
func EmbeddedRoot() (*Root, error) {
	tr, err := root.NewTrustedRootFromJSON(embeddedTrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("embedded trusted root: %w", err)
	}
	return &Root{Material: tr, Source: EmbeddedRootSource}, nil
}

// LoadRootFile reads a trusted_root.json file (a regular file of at most
// MaxBundleSize bytes).
func LoadRootFile(path string) (*Root, error) {
	data, err := safeio.ReadFile(path, MaxBundleSize)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("trusted root %s: %w", path, FileError(err))}
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, inputErrorf("trusted root %s: not a Sigstore trusted root: %s", path, detail(err))
	}
	return &Root{Material: tr, Source: "trusted root file " + path}, nil
}

// Cache layout. A refreshed trusted root is kept under
// CacheDir/trusted-root/MIRROR/ together with the TUF metadata that vouches
// for it: every root.json version above the trust anchor (N.root.json), and
// timestamp.json, snapshot.json and targets.json. It is used only after that
// chain verifies again, offline, from the trust anchor built into the program.
const (
	cachedRootName = "trusted_root.json"
	cacheStateDir  = "trusted-root"
	// maxRootRotations bounds the root chain walked from the trust anchor,
	// as go-tuf's updater does.
	maxRootRotations = 256
	// maxMetadata caps each TUF metadata file read from the cache.
	maxMetadata = 8 << 20
)

// LoadRoot picks the trusted root: File if set; otherwise, online, a TUF
// refresh from MirrorURL (kept in CacheDir with its TUF metadata); offline,
// or when the refresh fails, the root of the last refresh provided its TUF
// metadata verifies again from the trust anchor, else the embedded snapshot.
// A trusted_root.json in the cache is never used on its own. The returned
// Root says which source was used and why.
func LoadRoot(ctx context.Context, o RootOptions) (*Root, error) {
	if o.File != "" {
		return LoadRootFile(o.File)
	}
	var warnings []string
	if !o.Offline {
		r, err := RefreshRoot(ctx, o)
		if err == nil {
			return r, nil
		}
		warnings = append(warnings, "TUF refresh failed ("+detail(err)+")")
	}
	if o.CacheDir != "" {
		r, err := loadCachedRoot(o)
		switch {
		case err == nil:
			if len(warnings) > 0 {
				r.Warning = strings.Join(warnings, "; ") + "; using the cached root of the last refresh, verified offline against its TUF metadata"
			}
			return r, nil
		case errors.Is(err, errNoCache):
			if _, serr := os.Lstat(filepath.Join(o.CacheDir, cachedRootName)); serr == nil {
				warnings = append(warnings, filepath.Join(o.CacheDir, cachedRootName)+" is ignored: no verified TUF metadata vouches for it")
			}
		default:
			warnings = append(warnings, "the cached trusted root is not used: "+detail(err))
		}
	}
	r, err := EmbeddedRoot()
	if err != nil {
		return nil, err
	}
	if len(warnings) > 0 {
		r.Warning = strings.Join(warnings, "; ") + "; using the embedded root"
	}
	return r, nil
}

func mirrorURL(o RootOptions) string {
	if o.MirrorURL != "" {
		return o.MirrorURL
	}
	return tuf.DefaultMirror
}

func trustAnchor(o RootOptions) []byte {
	if len(o.TUFRoot) > 0 {
		return o.TUFRoot
	}
	return tuf.DefaultRoot()
}

// stateDir is where the refreshed root of a mirror and its metadata live.
func stateDir(o RootOptions) string {
	return filepath.Join(o.CacheDir, cacheStateDir, tuf.URLToPath(mirrorURL(o)))
}

// errNoCache means no refreshed root was ever stored for the mirror.
var errNoCache = errors.New("no cached trusted root")

// loadCachedRoot reads the stored state of the mirror and verifies it.
func loadCachedRoot(o RootOptions) (*Root, error) {
	dir := stateDir(o)
	if _, err := os.Stat(filepath.Join(dir, cachedRootName)); err != nil {
		return nil, errNoCache
	}
	read := func(name string, limit int64) ([]byte, error) {
		data, err := safeio.ReadFile(filepath.Join(dir, name), limit)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, FileError(err))
		}
		return data, nil
	}
	data, info, err := verifyState(trustAnchor(o), read, time.Now())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", filepath.Join(dir, cachedRootName), detail(err))
	}
	return &Root{Material: tr, Source: "cached trusted root from the last TUF refresh (" + filepath.Join(dir, cachedRootName) + "), verified offline: " + info}, nil
}

// verifyState verifies a stored TUF state as a TUF client would at time now,
// from the trust anchor: the root chain N.root.json (each version signed by
// its predecessor and itself), then timestamp.json, snapshot.json and
// targets.json (signatures, versions, hashes, expiry), and finally that
// trusted_root.json has the length and hashes targets.json records for it. It
// returns the trusted root's bytes and a description of what was verified.
func verifyState(anchor []byte, read func(name string, limit int64) ([]byte, error), now time.Time) ([]byte, string, error) {
	tm, err := trustedmetadata.New(anchor)
	if err != nil {
		return nil, "", fmt.Errorf("TUF trust anchor: %s", detail(err))
	}
	tm.RefTime = now.UTC()
	first := tm.Root.Signed.Version
	for v := first + 1; ; v++ {
		if v > first+maxRootRotations {
			return nil, "", fmt.Errorf("more than %d root versions", maxRootRotations)
		}
		name := strconv.FormatInt(v, 10) + ".root.json"
		data, err := read(name, maxMetadata)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, "", err
		}
		if _, err := tm.UpdateRoot(data); err != nil {
			return nil, "", fmt.Errorf("%s: %s", name, detail(err))
		}
	}
	step := func(name string, f func([]byte) error) error {
		data, err := read(name, maxMetadata)
		if err != nil {
			return err
		}
		if err := f(data); err != nil {
			return fmt.Errorf("%s: %s", name, detail(err))
		}
		return nil
	}
	if err := step("timestamp.json", func(b []byte) error { _, err := tm.UpdateTimestamp(b); return err }); err != nil {
		return nil, "", err
	}
	if err := step("snapshot.json", func(b []byte) error { _, err := tm.UpdateSnapshot(b, false); return err }); err != nil {
		return nil, "", err
	}
	if err := step("targets.json", func(b []byte) error {
		_, err := tm.UpdateDelegatedTargets(b, metadata.TARGETS, metadata.ROOT)
		return err
	}); err != nil {
		return nil, "", err
	}
	tf, ok := tm.Targets[metadata.TARGETS].Signed.Targets[cachedRootName]
	if !ok || tf == nil {
		return nil, "", fmt.Errorf("targets.json lists no %s", cachedRootName)
	}
	data, err := read(cachedRootName, MaxBundleSize)
	if err != nil {
		return nil, "", err
	}
	if err := tf.VerifyLengthHashes(data); err != nil {
		return nil, "", fmt.Errorf("%s does not match the length and hashes targets.json records: %s", cachedRootName, detail(err))
	}
	info := fmt.Sprintf("TUF root version %d (chain from the built-in version %d), targets version %d, timestamp valid until %s",
		tm.Root.Signed.Version, first, tm.Targets[metadata.TARGETS].Signed.Version, tm.Timestamp.Signed.Expires.UTC().Format(time.RFC3339))
	return data, info, nil
}

// recordingFetcher passes downloads through and keeps every root.json
// version it fetched: go-tuf's updater keeps only the newest, but offline
// verification needs the whole chain from the trust anchor.
type recordingFetcher struct {
	fetcher.Fetcher
	mu    sync.Mutex
	roots map[int64][]byte
}

var rootVersionFile = regexp.MustCompile(`/([1-9][0-9]{0,17})\.root\.json$`)

// DownloadFile downloads through the wrapped fetcher and records root files.
func (f *recordingFetcher) DownloadFile(urlPath string, maxLength int64, timeout time.Duration) ([]byte, error) {
	data, err := f.Fetcher.DownloadFile(urlPath, maxLength, timeout)
	if err == nil {
		if m := rootVersionFile.FindStringSubmatch(urlPath); m != nil {
			if v, perr := strconv.ParseInt(m[1], 10, 64); perr == nil {
				f.mu.Lock()
				f.roots[v] = data
				f.mu.Unlock()
			}
		}
	}
	return data, err
}

// RefreshRoot runs sigstore-go's TUF client against the mirror, verifies the
// TUF metadata chain from the trust anchor and returns the trusted_root.json
// target. With a CacheDir, the target is stored with the TUF metadata that
// vouches for it, for offline use.
func RefreshRoot(ctx context.Context, o RootOptions) (*Root, error) {
	opts := tuf.DefaultOptions()
	opts.Context = ctx
	opts.RepositoryBaseURL = mirrorURL(o)
	opts.Root = trustAnchor(o)
	if o.CacheDir != "" {
		opts.CachePath = filepath.Join(o.CacheDir, "tuf")
	} else {
		opts.DisableLocalCache = true
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	retries := o.Retries // negative: none, as in httpx.Tuning
	if retries == 0 {
		retries = 2
	}
	// Downloads go through the program's HTTP client (offline mode, circuit
	// breaker, timeouts, retries with backoff); the fetcher itself tries once.
	f := fetcher.NewDefaultFetcher()
	f.SetHTTPClient(httpx.Default().Tune(httpx.Tuning{Timeout: timeout, Retries: retries}).HTTPClient())
	rec := &recordingFetcher{Fetcher: f, roots: map[int64][]byte{}}
	opts.Fetcher = rec
	client, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("TUF %s: %s", opts.RepositoryBaseURL, detail(err))
	}
	data, err := client.GetTarget(cachedRootName)
	if err != nil {
		return nil, fmt.Errorf("TUF %s: %s", opts.RepositoryBaseURL, detail(err))
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("TUF %s: trusted_root.json: %s", opts.RepositoryBaseURL, detail(err))
	}
	r := &Root{Material: tr, Source: "trusted root refreshed through TUF from " + opts.RepositoryBaseURL}
	if o.CacheDir != "" {
		if err := storeState(o, filepath.Join(opts.CachePath, tuf.URLToPath(opts.RepositoryBaseURL)), rec, data); err != nil {
			r.Warning = "the refreshed trusted root is not kept for offline use: " + detail(err)
		}
	}
	return r, nil
}

// storeState keeps the refreshed trusted root with the metadata that vouches
// for it: the root versions fetched in this refresh and the timestamp,
// snapshot and targets go-tuf verified and kept in tufDir. The set is
// verified as loadCachedRoot will verify it before it replaces the old one.
func storeState(o RootOptions, tufDir string, rec *recordingFetcher, trustedRoot []byte) error {
	files := map[string][]byte{cachedRootName: trustedRoot}
	rec.mu.Lock()
	for v, data := range rec.roots {
		files[strconv.FormatInt(v, 10)+".root.json"] = data
	}
	rec.mu.Unlock()
	for _, name := range []string{"timestamp.json", "snapshot.json", "targets.json"} {
		data, err := safeio.ReadFile(filepath.Join(tufDir, name), maxMetadata)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(tufDir, name), FileError(err))
		}
		files[name] = data
	}
	read := func(name string, _ int64) ([]byte, error) {
		if data, ok := files[name]; ok {
			return data, nil
		}
		return nil, fs.ErrNotExist
	}
	if _, _, err := verifyState(trustAnchor(o), read, time.Now()); err != nil {
		return fmt.Errorf("the refreshed TUF state does not verify: %w", err)
	}
	dir := stateDir(o)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".new-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, data := range files {
		if err := safeio.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return err
		}
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	_ = os.RemoveAll(old)
	// A trusted_root.json left at the top of the cache by older versions is
	// never read; remove it so it does not look trusted.
	_ = os.Remove(filepath.Join(o.CacheDir, cachedRootName))
	return nil
}
