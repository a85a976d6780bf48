package server

import (
	"sync"

	"github.com/pyvet/pyvet/internal/osvclient"
)

// MaxCacheKey is the longest query key (normalized name, NUL, version) the
// answer cache remembers; longer queries are answered but not remembered.
// Valid queries stay well below it (see MaxNameLen and MaxVersionLen).
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

// answerCache remembers query answers in a byte budget, forgetting the least
// recently used first. It is safe for concurrent use; a nil cache remembers
// nothing.
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
	refs       []osvclient.VulnRef
	cost       int64
	prev, next *cacheEntry
}

func newAnswerCache(maxBytes int64) *answerCache {
	if maxBytes <= 0 {
		return nil
	}
	c := &answerCache{maxBytes: maxBytes, m: map[string]*cacheEntry{}}
	c.head.prev, c.head.next = &c.head, &c.head
	return c
}

// answerCost is what remembering refs under key costs.
func answerCost(key string, refs []osvclient.VulnRef) int64 {
	n := int64(len(key)) + cacheEntryOverhead
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

func (c *answerCache) get(key string) ([]osvclient.VulnRef, bool) {
	if c == nil || len(key) > MaxCacheKey {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		return nil, false
	}
	c.unlink(e)
	c.pushFront(e)
	return e.refs, true
}

// put remembers refs under key, forgetting the least recently used answers
// until it fits. A key longer than MaxCacheKey, or an answer larger than the
// whole budget, is not remembered.
func (c *answerCache) put(key string, refs []osvclient.VulnRef) {
	if c == nil || len(key) > MaxCacheKey {
		return
	}
	cost := answerCost(key, refs)
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
	e := &cacheEntry{key: key, refs: refs, cost: cost}
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
