package pypi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pyvet/pyvet/internal/safeio"
)

// Cache is an on-disk HTTP response cache keyed by request URL and Accept header.
// Each entry is one file: a JSON header line holding the validators (ETag,
// Last-Modified) and the freshness lifetime, then the raw body. A nil *Cache caches nothing.
type Cache struct {
	Dir string // directory holding the entries (created on first write)
	// DefaultTTL is how long a response without Cache-Control max-age stays fresh.
	DefaultTTL time.Duration
	// NotFoundTTL is how long a 404 stays fresh.
	NotFoundTTL time.Duration
	now         func() time.Time
	mu          sync.Mutex
	mem         map[string]*entry // entries read or written by this process; never mutated
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
	Body         []byte        `json:"-"` // stored raw after the header line
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
	return filepath.Join(c.Dir, "http", k[:2], k)
}

// get returns the cached entry for url, or nil when there is none or it is
// unreadable. Entries are kept in memory after the first read.
func (c *Cache) get(url, accept string) *entry {
	if c == nil {
		return nil
	}
	key := accept + "\x00" + url
	c.mu.Lock()
	e := c.mem[key]
	c.mu.Unlock()
	if e != nil || c.Dir == "" {
		return e
	}
	e = c.read(url, accept)
	if e != nil {
		c.remember(e)
	}
	return e
}

func (c *Cache) remember(e *entry) {
	c.mu.Lock()
	if c.mem == nil {
		c.mem = map[string]*entry{}
	}
	c.mem[e.Accept+"\x00"+e.URL] = e
	c.mu.Unlock()
}

func (c *Cache) read(url, accept string) *entry {
	// A cache entry is a regular file no larger than an answer may be; a
	// planted FIFO or oversized file is a miss, never a hang.
	b, err := safeio.ReadFile(c.path(url, accept), safeio.MaxJSON)
	if err != nil {
		return nil
	}
	hdr, body, ok := bytes.Cut(b, []byte{'\n'})
	var e entry
	if !ok || json.Unmarshal(hdr, &e) != nil || e.URL != url || e.Accept != accept {
		return nil
	}
	e.Body = body
	return &e
}

// put stores e in memory and on disk, atomically (write to a temporary file,
// then rename). e must not be changed afterwards.
func (c *Cache) put(e *entry) error {
	if c == nil {
		return nil
	}
	c.remember(e)
	if c.Dir == "" {
		return nil
	}
	p := c.path(e.URL, e.Accept)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	hdr, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	b := append(append(hdr, '\n'), e.Body...)
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
