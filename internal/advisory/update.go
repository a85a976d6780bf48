package advisory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/progress"
	"github.com/pyvet/pyvet/internal/safeio"
)

// DefaultURL is OSV's export of every PyPI advisory.
const DefaultURL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"

// EnvURL names the environment variable that overrides DefaultURL.
const EnvURL = "PYVET_ADVISORY_DB_URL"

// MaxAge is how old the cached database may get before audit refreshes it.
const MaxAge = 24 * time.Hour

// CachedPath is the index file `pyvet db update` maintains in cacheDir.
func CachedPath(cacheDir string) string {
	return filepath.Join(cacheDir, "advisories", "pypi.idx")
}

func statePath(cacheDir string) string {
	return filepath.Join(cacheDir, "advisories", "pypi.state.json")
}

// state is what the updater remembers next to the index.
type state struct {
	Checked time.Time `json:"checked"`
}

// OpenCached loads the database `pyvet db update` maintains in cacheDir. It
// returns a *NoDatabaseError when there is none.
func OpenCached(cacheDir string) (*DB, error) {
	p := CachedPath(cacheDir)
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return nil, &NoDatabaseError{Dir: filepath.Dir(p)}
	}
	db, err := openIndexFile(p)
	if err != nil {
		return nil, err
	}
	db.meta.Checked = readState(cacheDir).Checked
	return db, nil
}

func readState(cacheDir string) state {
	var s state
	if b, err := safeio.ReadFile(statePath(cacheDir), 1<<20); err == nil {
		_ = json.Unmarshal(b, &s)
	}
	return s
}

func writeState(cacheDir string, s state) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return install(statePath(cacheDir), b)
}

// Status returns the metadata of the cached database without keeping it open.
func Status(cacheDir string) (Meta, error) {
	db, err := OpenCached(cacheDir)
	if err != nil {
		return Meta{}, err
	}
	defer db.Close()
	return db.Meta(), nil
}

// Age is how long ago the database was last fetched or confirmed current.
func (m Meta) Age(now time.Time) time.Duration {
	t := m.Checked
	if m.Fetched.After(t) {
		t = m.Fetched
	}
	if t.IsZero() {
		t = m.Built
	}
	return now.Sub(t)
}

// StaleData is how old the newest advisory may get before audit warns that
// the data may miss recent advisories.
const StaleData = 7 * 24 * time.Hour

// DataAge is the age of the data: how long before now its newest advisory
// was modified. ok is false when no advisory has a modification time.
func (m Meta) DataAge(now time.Time) (age time.Duration, ok bool) {
	if m.Newest.IsZero() {
		return 0, false
	}
	return max(now.Sub(m.Newest), 0), true
}

// DataNote returns a warning when the data is older than StaleData, else "".
func (m Meta) DataNote(now time.Time) string {
	age, ok := m.DataAge(now)
	if !ok || age <= StaleData {
		return ""
	}
	return fmt.Sprintf("the newest advisory in the database was modified %s, %s ago; results may miss recent advisories (run `pyvet db update`)",
		m.Newest.Format("2006-01-02"), FormatAge(age))
}

// FormatAge writes an age in days, hours or minutes.
func FormatAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return "less than 2 minutes"
}

// UpdateOptions configure Update.
type UpdateOptions struct {
	URL        string        // default: $PYVET_ADVISORY_DB_URL, then DefaultURL
	CacheDir   string        // required
	HTTP       *httpx.Client // default: httpx.Default(), the program's client (offline mode, circuit breaker)
	Timeout    time.Duration // per attempt, the whole download included (default 10 minutes)
	Retries    int           // retries after a network error, 429 or 5xx (default 3; negative: none)
	Backoff    time.Duration // first wait between attempts, doubled each time (default 1 s)
	MaxSize    int64         // largest accepted download (default 1 GiB)
	Force      bool          // download even if the server says it has not changed
	Progress   io.Writer     // where the progress bar goes (a terminal); nil: none
	UserAgent  string
	Now        func() time.Time
	MinEntries int // fewer advisories than this is a format error (default 1)
}

// UpdateResult says what Update did.
type UpdateResult struct {
	Updated     bool // a new database was installed
	NotModified bool // the server said the cached one is current
	Meta        Meta
	Bytes       int64 // downloaded
}

func (o *UpdateOptions) defaults() {
	if o.URL == "" {
		o.URL = os.Getenv(EnvURL)
	}
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxSize <= 0 {
		o.MaxSize = 1 << 30
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinEntries <= 0 {
		o.MinEntries = 1
	}
	if o.UserAgent == "" {
		o.UserAgent = "pyvet"
	}
}

// Update downloads the advisory export and installs it as the cached
// database. It sends the ETag and Last-Modified of the current database so an
// unchanged export is not downloaded again, checks the download's size and
// format and builds its index before swapping it in with a rename: a failed,
// interrupted or corrupt download leaves the current database as it was.
func Update(ctx context.Context, opts UpdateOptions) (*UpdateResult, error) {
	opts.defaults()
	if opts.CacheDir == "" {
		return nil, errors.New("advisory update: no cache directory")
	}
	dir := filepath.Dir(CachedPath(opts.CacheDir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// A run killed mid-download leaves its temporary behind.
	removeStale(dir, opts.Timeout)
	var cur *Meta
	if !opts.Force {
		if db, err := OpenCached(opts.CacheDir); err == nil {
			m := db.Meta()
			db.Close()
			if m.Source == opts.URL {
				cur = &m
			}
		}
	}
	res, err := fetch(ctx, opts, cur, dir)
	if err != nil {
		return nil, updateError(opts.URL, err)
	}
	return res, nil
}

// updateError says that the update from u failed with err, naming u once:
// a network failure of u's host or an HTTP status of u is the URL and the
// cause ("advisory update from URL: connection refused"); errors.Is and As
// still find err.
func updateError(u string, err error) error {
	msg := ""
	switch e := err.(type) {
	case *httpx.Error:
		if pu, perr := url.Parse(u); perr == nil && strings.EqualFold(pu.Host, e.Host) {
			msg = e.Reason
		}
	case *httpx.StatusError:
		if e.URL == u {
			msg = fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
		}
	}
	if msg == "" {
		return fmt.Errorf("advisory update from %s: %w", u, err)
	}
	return &wrapError{msg: "advisory update from " + u + ": " + msg, err: err}
}

// wrapError is an error with its own message around another.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

// fetch sends the conditional GET for the export, the only HTTP request the
// updater makes, through the program's HTTP client: it repeats the request
// after network failures, 429 and 5xx, and after a download cut off.
func fetch(ctx context.Context, opts UpdateOptions, cur *Meta, dir string) (*UpdateResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, opts.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", opts.UserAgent)
	if cur != nil {
		if cur.ETag != "" {
			req.Header.Set("If-None-Match", cur.ETag)
		}
		if cur.LastModified != "" {
			req.Header.Set("If-Modified-Since", cur.LastModified)
		}
	}
	hc := httpx.Or(opts.HTTP).Tune(httpx.Tuning{Timeout: opts.Timeout, Retries: opts.Retries, Backoff: opts.Backoff})
	var res *UpdateResult
	err = hc.Fetch(req, func(resp *http.Response) error {
		var err error
		res, err = download(resp, opts, cur, dir)
		return err
	})
	return res, err
}

// download handles one answer: a 304, or the export, which it checks and installs.
func download(resp *http.Response, opts UpdateOptions, cur *Meta, dir string) (*UpdateResult, error) {
	switch {
	case resp.StatusCode == http.StatusNotModified && cur != nil:
		now := opts.Now().UTC()
		if err := writeState(opts.CacheDir, state{Checked: now}); err != nil {
			return nil, err
		}
		m := *cur
		m.Checked = now
		return &UpdateResult{NotModified: true, Meta: m}, nil
	case resp.StatusCode != http.StatusOK:
		return nil, &httpx.StatusError{URL: resp.Request.URL.Redacted(), Status: resp.StatusCode}
	}
	if resp.ContentLength > opts.MaxSize {
		return nil, fmt.Errorf("download is %d bytes, more than the limit of %d", resp.ContentLength, opts.MaxSize)
	}
	tmp, err := os.CreateTemp(dir, ".download-*.zip")
	if err != nil {
		return nil, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	bar := progress.New(progressWriter(opts.Progress), "Downloading advisories", max(resp.ContentLength, 0), opts.Progress != nil)
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h, bar), io.LimitReader(resp.Body, opts.MaxSize+1))
	bar.Done()
	if err != nil {
		return nil, httpx.Transient(fmt.Errorf("download interrupted after %d bytes: %w", n, err))
	}
	if n > opts.MaxSize {
		return nil, fmt.Errorf("download is larger than the limit of %d bytes", opts.MaxSize)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return nil, httpx.Transient(fmt.Errorf("download truncated: got %d of %d bytes", n, resp.ContentLength))
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	now := opts.Now().UTC()
	meta := Meta{
		Source: opts.URL, Format: "zip", ContentSHA256: hex.EncodeToString(h.Sum(nil)), Built: now,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), Fetched: now, Checked: now,
	}
	data, err := buildFrom(tmp.Name(), meta)
	if err != nil {
		return nil, fmt.Errorf("downloaded file is not a valid advisory export: %w", err)
	}
	db, err := openIndexBytes(opts.URL, data)
	if err != nil {
		return nil, err
	}
	if db.Len() < opts.MinEntries {
		return nil, fmt.Errorf("downloaded export holds %d advisories, expected at least %d", db.Len(), opts.MinEntries)
	}
	if err := install(CachedPath(opts.CacheDir), data); err != nil {
		return nil, err
	}
	if err := writeState(opts.CacheDir, state{Checked: now}); err != nil {
		return nil, err
	}
	return &UpdateResult{Updated: true, Meta: db.Meta(), Bytes: n}, nil
}

// progressWriter avoids a typed-nil writer.
func progressWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// String summarises the metadata on one line.
func (m Meta) String() string {
	return m.Source + " (" + strconv.Itoa(m.Count) + " advisories)"
}

// Import installs a local OSV zip or directory as the cached database, the
// way Update installs a download (for machines without network access). A
// source whose content the installed database was built from is not built
// again (see ImportWith).
func Import(cacheDir, path string) (Meta, error) {
	res, err := ImportWith(ImportOptions{CacheDir: cacheDir, Path: path})
	if err != nil {
		return Meta{}, err
	}
	return res.Meta, nil
}

// ImportOptions configure ImportWith.
type ImportOptions struct {
	CacheDir string // required
	Path     string // an OSV zip or a directory of OSV files
	// Force builds the index even when the installed database was built
	// from the same content.
	Force bool
	Now   func() time.Time // default time.Now
}

// ImportWith installs a local OSV zip or directory as the cached database.
// When the installed database was imported from the same path and its
// content hash (Meta.ContentSHA256) is the source's, nothing is built: the
// database is confirmed current (UpdateResult.NotModified, its check time
// renewed). Otherwise the index is built and swapped in with a rename, as
// Update does (UpdateResult.Updated); a source that cannot be read leaves
// the current database as it was.
func ImportWith(o ImportOptions) (*UpdateResult, error) {
	if o.CacheDir == "" {
		return nil, errors.New("advisory import: no cache directory")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	st, err := os.Stat(o.Path)
	if err != nil {
		return nil, err
	}
	removeStale(filepath.Dir(CachedPath(o.CacheDir)), 0)
	hash, err := contentHash(o.Path, st.IsDir())
	if err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(o.Path)
	format := "zip"
	if st.IsDir() {
		format = "dir"
	}
	now := o.Now().UTC()
	if !o.Force {
		if m, ok := installedFrom(o.CacheDir, abs, format, hash); ok {
			if err := writeState(o.CacheDir, state{Checked: now}); err != nil {
				return nil, err
			}
			m.Checked = now
			return &UpdateResult{NotModified: true, Meta: m}, nil
		}
	}
	data, err := buildFrom(o.Path, Meta{Source: abs, Format: format, ContentSHA256: hash, Built: now, Fetched: now, Checked: now})
	if err != nil {
		return nil, err
	}
	db, err := openIndexBytes(o.Path, data)
	if err != nil {
		return nil, err
	}
	if err := install(CachedPath(o.CacheDir), data); err != nil {
		return nil, err
	}
	if err := writeState(o.CacheDir, state{Checked: now}); err != nil {
		return nil, err
	}
	m := db.Meta()
	m.Path = CachedPath(o.CacheDir)
	return &UpdateResult{Updated: true, Meta: m}, nil
}

// installedFrom returns the metadata of the cached database when it opens
// and was built from source (its absolute path), in format, with the
// content hash hash.
func installedFrom(cacheDir, source, format, hash string) (Meta, bool) {
	db, err := OpenCached(cacheDir)
	if err != nil {
		return Meta{}, false
	}
	m := db.Meta()
	db.Close()
	return m, m.ContentSHA256 == hash && m.Source == source && m.Format == format
}
