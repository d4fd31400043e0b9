// Package store owns every Redis key cadrebot writes. Key names are built
// in keys.go, Lua scripts sit next to the code that runs them, and redis.Nil
// becomes cadrebot.ErrNotFound here and nowhere else.
package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// SchemaVersion is the layout of the keys below. Bump it with a migration.
const SchemaVersion = "1"

// DB is cadrebot's Redis store.
type DB struct {
	rdb    redis.UniversalClient
	auto   autoCmds
	locks  *redislock.Client
	prefix string
	stats  *Stats
	zone   *time.Location
	now    func() time.Time // the bot's clock (SetClock), for what the store stamps itself

	retention Retention
	// cache holds group records (CacheGroups); nil when off.
	cache atomic.Pointer[groupCache]
	// floodWindow is the last flood window this process set the expiry of.
	floodWindow atomic.Int64

	migrateHooks []MigrateHook

	days checkinDays // see checkin_days.go
}

// Options selects one of the three Redis deployments.
type Options struct {
	URL           string   // redis:// or rediss://, with user and password
	SentinelAddrs []string // Sentinel: addresses and master name
	MasterName    string
	ClusterAddrs  []string // Cluster: seed addresses
	// PoolSize is the connections per node (default 64). The leases get
	// a client of their own with a few, so that their refreshes never
	// queue behind the work that saturates the main pool.
	PoolSize int
}

// Dial builds the client for a single node, Sentinel or Cluster. Username,
// password and TLS in URL apply to Sentinel and Cluster too.
func Dial(o Options) (redis.UniversalClient, error) {
	uo := &redis.UniversalOptions{}
	if o.URL != "" {
		ro, err := redis.ParseURL(o.URL)
		if err != nil {
			return nil, fmt.Errorf("parse REDIS_URL: %w", err)
		}
		uo.Addrs = []string{ro.Addr}
		uo.Username, uo.Password, uo.DB, uo.TLSConfig = ro.Username, ro.Password, ro.DB, ro.TLSConfig
	}
	switch {
	case len(o.ClusterAddrs) > 0:
		uo.Addrs = o.ClusterAddrs
		uo.DB = 0
		uo.IsClusterMode = true
	case len(o.SentinelAddrs) > 0:
		uo.Addrs = o.SentinelAddrs
		uo.MasterName = o.MasterName
	}
	if uo.TLSConfig != nil && uo.TLSConfig.MinVersion == 0 {
		uo.TLSConfig.MinVersion = tls.VersionTLS12
	}
	// Fail fast so a Redis outage turns into a "temporarily unavailable"
	// answer within a second or two instead of a hanging handler.
	uo.DialTimeout = 2 * time.Second
	uo.ReadTimeout = 2 * time.Second
	uo.WriteTimeout = 2 * time.Second
	uo.PoolSize, uo.MinIdleConns = 64, 4
	if o.PoolSize > 0 {
		uo.PoolSize, uo.MinIdleConns = o.PoolSize, min(4, o.PoolSize)
	}
	// The bot's commands and replies are small (a check-in is one EVALSHA
	// of a few hundred bytes): go-redis' 32 KiB buffers per connection,
	// 128 KiB for pipelines, cost more memory than the whole working set
	// of 2,000 groups. Bigger replies (a digest's HGETALLs) are read in
	// several fills.
	uo.ReadBufferSize, uo.WriteBufferSize = 4<<10, 4<<10
	uo.PipelineReadBufferSize, uo.PipelineWriteBufferSize = 32<<10, 32<<10
	// RESP2: with RESP3 (go-redis' default) every reply is first checked
	// for push notifications, which the bot never subscribes to on these
	// connections (Pub/Sub has its own): 3% of its CPU under load.
	uo.Protocol = 2
	return redis.NewUniversalClient(uo), nil
}

// autoCmds are the commands that go through the autopipeliner: the scripts
// every update runs, and saving a dialog's form, which a burst of reports
// does once each.
type autoCmds interface {
	redis.Scripter
	Set(ctx context.Context, key string, value any, expiration time.Duration) *redis.StatusCmd
}

// New wraps a client. Every key starts with prefix.
func New(rdb redis.UniversalClient, prefix string) *DB {
	db := &DB{rdb: rdb, locks: redislock.New(rdb), prefix: prefix, stats: &Stats{}}
	rdb.AddHook(db.stats)
	// The scripts every update runs, and form saves, go through go-redis'
	// autopipeliner, so that those of concurrent chats share a round trip
	// (docs/redis.md). Each call still waits for its reply, so a caller's
	// next command, on either client, sees its write.
	// It refuses only a closed client or invalid options (none are given);
	// the plain client then does the same work, a round trip each.
	db.auto = rdb
	if ap, err := rdb.AutoPipeline(); err == nil {
		db.auto = ap
	}
	return db
}

// SetZone sets the deployment's time zone, in which the store dates a
// group's creation when the group has no zone of its own (the start of
// service of a roster kept before periods were). Default Asia/Shanghai.
func (db *DB) SetZone(loc *time.Location) { db.zone = loc }

// SetClock sets the clock the store stamps records with itself (an
// undeliverable message's time): the bot's, which tests fake.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

func (db *DB) clock() time.Time {
	if db.now == nil {
		return time.Now()
	}
	return db.now()
}

// Zone is the zone SetZone set.
func (db *DB) Zone() *time.Location {
	if db.zone == nil {
		return defaultZone
	}
	return db.zone
}

var defaultZone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// Prefix is the key prefix.
func (db *DB) Prefix() string { return db.prefix }

// Stats counts commands and round trips, for metrics and benchmarks.
func (db *DB) Stats() *Stats { return db.stats }

// Ping reports whether Redis answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.rdb.Ping(ctx).Err(); err != nil {
		return wrap(err)
	}
	return nil
}

// Close closes the client.
func (db *DB) Close() error { return db.rdb.Close() }

// EnsureSchema writes the schema version key, or checks it when present.
func (db *DB) EnsureSchema(ctx context.Context) error {
	ok, err := db.rdb.SetNX(ctx, db.keySchema(), SchemaVersion, 0).Result()
	if err != nil {
		return wrap(err)
	}
	if ok {
		return nil
	}
	v, err := db.rdb.Get(ctx, db.keySchema()).Result()
	if err != nil {
		return wrap(err)
	}
	if v != SchemaVersion {
		return fmt.Errorf("redis schema version %q, this build expects %q", v, SchemaVersion)
	}
	return nil
}

// wrap maps redis.Nil to ErrNotFound and connection failures to
// ErrUnavailable, keeping the cause for the log.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, redis.Nil) {
		return cadrebot.ErrNotFound
	}
	if isConnErr(err) {
		return fmt.Errorf("%w: %w", cadrebot.ErrUnavailable, err)
	}
	return err
}

func isConnErr(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, redis.ErrClosed) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "LOADING") ||
		strings.Contains(s, "i/o timeout") || strings.Contains(s, "EOF") || strings.Contains(s, "CLUSTERDOWN") ||
		strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe") || strings.Contains(s, "pool timeout")
}

// Stats is a go-redis hook counting commands, round trips and errors.
type Stats struct {
	Commands   atomic.Int64
	RoundTrips atomic.Int64
	Errors     atomic.Int64
	// OnError, when set, is called for each failed round trip (metrics).
	OnError func()
}

func (s *Stats) DialHook(next redis.DialHook) redis.DialHook { return next }

func (s *Stats) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		s.Commands.Add(1)
		s.RoundTrips.Add(1)
		err := next(ctx, cmd)
		s.fail(err)
		return err
	}
}

func (s *Stats) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		s.Commands.Add(int64(len(cmds)))
		s.RoundTrips.Add(1)
		err := next(ctx, cmds)
		s.fail(err)
		return err
	}
}

func (s *Stats) fail(err error) {
	if err != nil && !errors.Is(err, redis.Nil) && isConnErr(err) {
		s.Errors.Add(1)
		if s.OnError != nil {
			s.OnError()
		}
	}
}
