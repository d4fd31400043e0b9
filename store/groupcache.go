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
}

func (db *DB) keyGroupsChanged() string { return db.k("groups:changed") }

// CacheGroups turns on the in-process cache of group records and keeps it
// in step with every replica until ctx ends.
func (db *DB) CacheGroups(ctx context.Context, log *slog.Logger) {
	c := &groupCache{m: map[int64]*groupEntry{}}
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
	c.mu.Unlock()
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
