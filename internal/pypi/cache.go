package pypi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Cache is an on-disk HTTP response cache keyed by request URL and Accept header.
// Each entry is one JSON file holding the validators (ETag, Last-Modified), the
// freshness lifetime and the body. A nil *Cache caches nothing.
type Cache struct {
	Dir string // directory holding the entries (created on first write)
	// DefaultTTL is how long a response without Cache-Control max-age stays fresh.
	DefaultTTL time.Duration
	// NotFoundTTL is how long a 404 stays fresh.
	NotFoundTTL time.Duration
	now         func() time.Time
}

// NewCache returns a cache in dir with the default lifetimes (1 hour, 404s 10 minutes).
func NewCache(dir string) *Cache {
	return &Cache{Dir: dir, DefaultTTL: time.Hour, NotFoundTTL: 10 * time.Minute}
}

// entry is what one cache file holds.
type entry struct {
	URL          string        `json:"url"`
	Accept       string        `json:"accept,omitempty"`
	Status       int           `json:"status"`
	ContentType  string        `json:"content_type,omitempty"`
	ETag         string        `json:"etag,omitempty"`
	LastModified string        `json:"last_modified,omitempty"`
	Fetched      time.Time     `json:"fetched"`
	MaxAge       time.Duration `json:"max_age"`
	Body         []byte        `json:"body"`
}

func (c *Cache) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func (e *entry) fresh(now time.Time) bool { return now.Sub(e.Fetched) < e.MaxAge }

func (c *Cache) path(url, accept string) string {
	h := sha256.Sum256([]byte(accept + "\x00" + url))
	k := hex.EncodeToString(h[:])
	return filepath.Join(c.Dir, "http", k[:2], k+".json")
}

// get returns the cached entry for url, or nil when there is none or it is unreadable.
func (c *Cache) get(url, accept string) *entry {
	if c == nil || c.Dir == "" {
		return nil
	}
	b, err := os.ReadFile(c.path(url, accept))
	if err != nil {
		return nil
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || e.URL != url {
		return nil
	}
	return &e
}

// put stores e atomically (write to a temporary file, then rename).
func (c *Cache) put(e *entry) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	p := c.path(e.URL, e.Accept)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// lifetime derives the freshness lifetime of a response from its Cache-Control
// header: no-store and no-cache give 0 (always revalidate), max-age=N gives N
// seconds, anything else the cache's default for that status.
func (c *Cache) lifetime(status int, cacheControl string) time.Duration {
	for _, d := range strings.Split(cacheControl, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return 0
		case strings.HasPrefix(d, "max-age="):
			if n, err := strconv.Atoi(strings.TrimPrefix(d, "max-age=")); err == nil && n >= 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if status == 404 {
		return c.NotFoundTTL
	}
	return c.DefaultTTL
}

// ErrNotCached is returned in offline mode when a response is not in the cache.
var ErrNotCached = errors.New("not cached (offline mode; run once online to fill the cache)")
