package sigstore

import (
	"context"
	_ "embed" // the embedded production trusted root
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
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
	// used, else the embedded snapshot.
	Offline bool
	// CacheDir holds the TUF metadata and the last refreshed trusted root.
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

// LoadRootFile reads a trusted_root.json file.
func LoadRootFile(path string) (*Root, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("trusted root %s: %w", path, errors.Unwrap(err))}
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, inputErrorf("trusted root %s: not a Sigstore trusted root: %v", path, err)
	}
	return &Root{Material: tr, Source: "trusted root file " + path}, nil
}

// cachedRootName is the file, under CacheDir, holding the last trusted root a
// TUF refresh verified.
const cachedRootName = "trusted_root.json"

// LoadRoot picks the trusted root: File if set; otherwise, online, a TUF
// refresh from MirrorURL (cached in CacheDir); offline, or when the refresh
// fails, the last refreshed root in CacheDir, then the embedded snapshot. The
// returned Root says which source was used and why.
func LoadRoot(ctx context.Context, o RootOptions) (*Root, error) {
	if o.File != "" {
		return LoadRootFile(o.File)
	}
	var warning string
	if !o.Offline {
		r, err := RefreshRoot(ctx, o)
		if err == nil {
			return r, nil
		}
		warning = "TUF refresh failed (" + err.Error() + "); "
	}
	if o.CacheDir != "" {
		p := filepath.Join(o.CacheDir, cachedRootName)
		if data, err := os.ReadFile(p); err == nil {
			if tr, err := root.NewTrustedRootFromJSON(data); err == nil {
				r := &Root{Material: tr, Source: "cached trusted root from the last TUF refresh (" + p + ")"}
				if warning != "" {
					r.Warning = warning + "using the cached root"
				}
				return r, nil
			}
		}
	}
	r, err := EmbeddedRoot()
	if err != nil {
		return nil, err
	}
	if warning != "" {
		r.Warning = warning + "using the embedded root"
	}
	return r, nil
}

// RefreshRoot runs sigstore-go's TUF client against the mirror, verifies the
// TUF metadata chain from the trust anchor and returns the trusted_root.json
// target. The verified target is also stored in CacheDir for offline use.
func RefreshRoot(ctx context.Context, o RootOptions) (*Root, error) {
	opts := tuf.DefaultOptions()
	opts.Context = ctx
	if o.MirrorURL != "" {
		opts.RepositoryBaseURL = o.MirrorURL
	}
	if len(o.TUFRoot) > 0 {
		opts.Root = o.TUFRoot
	}
	if o.CacheDir != "" {
		opts.CachePath = filepath.Join(o.CacheDir, "tuf")
	} else {
		opts.DisableLocalCache = true
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	retries := o.Retries
	if retries < 0 {
		retries = 0
	} else if retries == 0 {
		retries = 2
	}
	f := fetcher.NewDefaultFetcher()
	f.SetHTTPClient(&http.Client{Timeout: timeout})
	f.SetRetryOptions(
		backoff.WithMaxTries(uint(retries)+1),
		backoff.WithMaxElapsedTime(time.Duration(retries+1)*timeout),
		backoff.WithBackOff(backoff.NewExponentialBackOff()),
	)
	opts.Fetcher = f
	client, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("TUF %s: %w", opts.RepositoryBaseURL, err)
	}
	data, err := client.GetTarget(cachedRootName)
	if err != nil {
		return nil, fmt.Errorf("TUF %s: %w", opts.RepositoryBaseURL, err)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("TUF %s: trusted_root.json: %w", opts.RepositoryBaseURL, err)
	}
	if o.CacheDir != "" {
		if err := os.MkdirAll(o.CacheDir, 0o755); err == nil {
			tmp := filepath.Join(o.CacheDir, cachedRootName+".tmp")
			if os.WriteFile(tmp, data, 0o644) == nil {
				_ = os.Rename(tmp, filepath.Join(o.CacheDir, cachedRootName))
			}
		}
	}
	return &Root{Material: tr, Source: "trusted root refreshed through TUF from " + opts.RepositoryBaseURL}, nil
}
