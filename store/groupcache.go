package store

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
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

func (c *groupCache) put(chat int64, e *groupEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 50000 {
		clear(c.m)
	}
	c.m[chat] = e
}

func (c *groupCache) forget(chat int64) {
	c.mu.Lock()
	delete(c.m, chat)
	clear(c.hashes)
	c.mu.Unlock()
}

// hgetAll reads a binding hash through the cache when it is on. The map
// returned is shared: callers only read it.
func (db *DB) hgetAll(ctx context.Context, key string) (map[string]string, error) {
	c := db.cache.Load()
	if c != nil {
		c.mu.Lock()
		h, ok := c.hashes[key]
		c.mu.Unlock()
		if ok && time.Since(h.at) <= groupCacheTTL {
			return h.m, nil
		}
	}
	m, err := db.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, wrap(err)
	}
	if c != nil {
		c.mu.Lock()
		c.hashes[key] = cachedHash{m: m, at: time.Now()}
		c.mu.Unlock()
	}
	return m, nil
}

// cachedGroup is chat's record as this process last read it, if fresh.
func (db *DB) cachedGroup(chat int64) map[string]string {
	c := db.cache.Load()
	if c == nil {
		return nil
	}
	if e := c.get(chat, time.Now()); e != nil && e.movedTo == 0 {
		return e.meta
	}
	return nil
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
