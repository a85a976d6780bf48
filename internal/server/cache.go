package server

import (
	"strconv"
	"sync"

	"github.com/pyvet/pyvet/internal/osvclient"
)

// MaxCacheKey is the longest key (a query's normalized name and version,
// or an advisory id) the answer cache remembers; longer queries are
// answered but not remembered. Valid queries stay well below it (see
// MaxNameLen and MaxVersionLen).
const MaxCacheKey = 512

// Approximate bookkeeping bytes of one cache entry (map slot, list links,
// slice header) and of one remembered advisory reference (two string
// headers), added to the lengths of the strings themselves.
const (
	cacheEntryOverhead = 160
	cacheRefOverhead   = 32
)

// CacheStats is the size of an answer cache.
type CacheStats struct {
	Entries  int   // answers remembered
	Bytes    int64 // their keys and answers, with bookkeeping
	MaxBytes int64 // the budget Bytes never exceeds
	Evicted  uint64
}

// answerCache remembers answers in a byte budget, forgetting the least
// recently used first: the advisory references answering a query, and the
// JSON of the advisories served, so that the index inflates each hot entry
// once. It is safe for concurrent use; a nil cache remembers nothing.
type answerCache struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	evicted  uint64
	m        map[string]*cacheEntry
	// head is the sentinel of the recency list: head.next is the most
	// recently used entry, head.prev the least.
	head cacheEntry
}

type cacheEntry struct {
	key        string
	refs       []osvclient.VulnRef // a query's answer
	raw        []byte              // or an advisory's JSON
	cost       int64
	prev, next *cacheEntry
}

// queryKey is the cache key of a query: no name and version pair shares
// it with another, nor with an advisory's rawKey.
func queryKey(name, version string) string {
	return "q" + strconv.Itoa(len(name)) + ":" + name + version
}

// rawKey is the cache key of an advisory's JSON.
func rawKey(id string) string { return "v" + id }

func newAnswerCache(maxBytes int64) *answerCache {
	if maxBytes <= 0 {
		return nil
	}
	c := &answerCache{maxBytes: maxBytes, m: map[string]*cacheEntry{}}
	c.head.prev, c.head.next = &c.head, &c.head
	return c
}

// answerCost is what remembering refs or raw under key costs.
func answerCost(key string, refs []osvclient.VulnRef, raw []byte) int64 {
	n := int64(len(key)+len(raw)) + cacheEntryOverhead
	for _, r := range refs {
		n += int64(len(r.ID)+len(r.Modified)) + cacheRefOverhead
	}
	return n
}

func (c *answerCache) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
}

func (c *answerCache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.head, c.head.next
	e.prev.next, e.next.prev = e, e
}

// get returns the query answer remembered under key.
func (c *answerCache) get(key string) ([]osvclient.VulnRef, bool) {
	e, ok := c.lookup(key)
	if !ok {
		return nil, false
	}
	return e.refs, true
}

// getRaw returns the advisory JSON remembered under key.
func (c *answerCache) getRaw(key string) ([]byte, bool) {
	e, ok := c.lookup(key)
	if !ok || e.raw == nil {
		return nil, false
	}
	return e.raw, true
}

// lookup returns a copy of the entry under key and makes it the most
// recently used.
func (c *answerCache) lookup(key string) (cacheEntry, bool) {
	if c == nil || len(key) > MaxCacheKey {
		return cacheEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		return cacheEntry{}, false
	}
	c.unlink(e)
	c.pushFront(e)
	return cacheEntry{refs: e.refs, raw: e.raw}, true
}

// put remembers the query answer refs under key.
func (c *answerCache) put(key string, refs []osvclient.VulnRef) { c.store(key, refs, nil) }

// putRaw remembers an advisory's JSON under key.
func (c *answerCache) putRaw(key string, raw []byte) { c.store(key, nil, raw) }

// store remembers refs or raw under key, forgetting the least recently used
// answers until it fits. A key longer than MaxCacheKey, or an answer larger
// than the whole budget, is not remembered.
func (c *answerCache) store(key string, refs []osvclient.VulnRef, raw []byte) {
	if c == nil || len(key) > MaxCacheKey {
		return
	}
	cost := answerCost(key, refs, raw)
	if cost > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		c.unlink(old)
		delete(c.m, key)
		c.bytes -= old.cost
	}
	for c.bytes+cost > c.maxBytes {
		lru := c.head.prev
		c.unlink(lru)
		delete(c.m, lru.key)
		c.bytes -= lru.cost
		c.evicted++
	}
	e := &cacheEntry{key: key, refs: refs, raw: raw, cost: cost}
	c.m[key] = e
	c.pushFront(e)
	c.bytes += cost
}

func (c *answerCache) stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Entries: len(c.m), Bytes: c.bytes, MaxBytes: c.maxBytes, Evicted: c.evicted}
}
