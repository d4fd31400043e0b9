package store

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// The intake reads a group's record for every update, and group records
// change rarely (set-up, a setting, a migration). So each process keeps
// the records it read, and every write of one publishes the chat id on
// P groups:changed; every process (this one first, at once) forgets what
// it kept of that chat. A publication lost on the way (Pub/Sub is
// at-most-once, say across a reconnect) is covered by the entry's
// lifetime: nothing is served older than groupCacheTTL.

// groupCacheTTL bounds how stale a cached group can be if an invalidation
// is lost.
const groupCacheTTL = time.Minute

type groupEntry struct {
	meta    map[string]string
	movedTo int64
	at      time.Time
	// transient is when the group was last listed as never set up, so the
	// intake lists it again only now and then.
	transient time.Time
}

type groupCache struct {
	mu sync.Mutex
	m  map[int64]*groupEntry
	// hashes are the deployment-wide bindings read with every card and
	// digest (deptchats, unitchats, migrated): key -> contents. Any
	// change of a group forgets them all; they change with /bind,
	// /leaders and migrations, which publish one.
	hashes map[string]cachedHash
	// gen counts invalidations. A reader notes it before reading Redis
	// and keeps what it read only if no invalidation came in between:
	// otherwise a record read just before a change could be kept after
	// the change's publication was handled, stale for groupCacheTTL.
	gen uint64
	// reads shares one Redis read among concurrent misses of one key,
	// as when a burst of cards all look up the department's chat at once.
	reads singleflight.Group
}

type cachedHash struct {
	m  map[string]string
	at time.Time
}

func (db *DB) keyGroupsChanged() string { return db.k("groups:changed") }

// CacheGroups turns on the in-process cache of group records and keeps it
// in step with every replica until ctx ends.
func (db *DB) CacheGroups(ctx context.Context, log *slog.Logger) {
	c := &groupCache{m: map[int64]*groupEntry{}, hashes: map[string]cachedHash{}}
	db.cache.Store(c)
	sub := db.rdb.Subscribe(ctx, db.keyGroupsChanged())
	go func() {
		defer sub.Close()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				db.cache.Store(nil)
				return
			case msg, ok := <-ch:
				if !ok {
					return
				}
				chat, err := strconv.ParseInt(msg.Payload, 10, 64)
				if err != nil {
					log.Warn("group cache: bad invalidation", "payload", msg.Payload)
					continue
				}
				c.forget(chat)
			}
		}
	}()
}

func (c *groupCache) get(chat int64, now time.Time) *groupEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[chat]
	if e == nil || now.Sub(e.at) > groupCacheTTL {
		return nil
	}
	return e
}

// generation is what a reader notes before it reads Redis (see gen).
func (c *groupCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps e unless an invalidation came since the reader noted gen.
func (c *groupCache) put(chat int64, e *groupEntry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) > 50000 {
		clear(c.m)
	}
	c.m[chat] = e
}

func (c *groupCache) forget(chat int64) {
	c.mu.Lock()
	delete(c.m, chat)
	clear(c.hashes)
	c.gen++
	c.mu.Unlock()
}

// hgetAll reads a binding hash through the cache when it is on. The map
// returned is shared: callers only read it.
func (db *DB) hgetAll(ctx context.Context, key string) (map[string]string, error) {
	c := db.cache.Load()
	if c == nil {
		m, err := db.rdb.HGetAll(ctx, key).Result()
		return m, wrap(err)
	}
	c.mu.Lock()
	h, ok := c.hashes[key]
	c.mu.Unlock()
	if ok && time.Since(h.at) <= groupCacheTTL {
		return h.m, nil
	}
	v, err, _ := c.reads.Do("h"+key, func() (any, error) {
		gen := c.generation()
		m, err := db.rdb.HGetAll(ctx, key).Result()
		if err != nil {
			return nil, wrap(err)
		}
		c.mu.Lock()
		if c.gen == gen {
			c.hashes[key] = cachedHash{m: m, at: time.Now()}
		}
		c.mu.Unlock()
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string]string), nil
}

// groupMeta reads chat's record through the cache when it is on. A read
// is kept for the next reader: a department's chat, say, is read for
// every card sent there but never sends an update of its own, so the
// intake never caches it. Concurrent misses share one read.
func (db *DB) groupMeta(ctx context.Context, chat int64) (map[string]string, error) {
	read := func() (map[string]string, error) {
		m, err := db.rdb.HGetAll(ctx, db.keyGroup(chat)).Result()
		return m, wrap(err)
	}
	c := db.cache.Load()
	if c == nil {
		return read()
	}
	if e := c.get(chat, time.Now()); e != nil && e.movedTo == 0 {
		return e.meta, nil
	}
	v, err, _ := c.reads.Do("g"+itoa(chat), func() (any, error) {
		gen := c.generation()
		m, err := read()
		if err == nil && len(m) > 0 {
			c.put(chat, &groupEntry{meta: m, at: time.Now()}, gen)
		}
		return m, err
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string]string), nil
}

// groupChanged makes every process forget chat's cached record; call it
// with every write of a group's meta or move, in the write's pipeline.
func (db *DB) groupChanged(ctx context.Context, p redis.Pipeliner, chats ...int64) {
	c := db.cache.Load()
	for _, chat := range chats {
		if c != nil {
			c.forget(chat)
		}
		p.Publish(ctx, db.keyGroupsChanged(), itoa(chat))
	}
}
