package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot/send"
)

// The outbox is one Redis Stream read through one consumer group. Every
// outbox key shares the hash tag {outbox}, so the "mark sent, XACK, XDEL"
// transaction and the enqueue script stay on one Cluster slot. The whole
// outbox therefore lives on one Cluster shard; that is deliberate: Telegram
// lets a bot send ~30 messages a second (1,000 with paid broadcast), a
// load one shard handles with room to spare, and one stream keeps the
// messages of a chat in order without any cross-shard coordination.

// OutboxGroup is the stream's consumer group.
const OutboxGroup = "senders"

// SentTTL is how long a sent marker outlives its send: far longer than a
// crashed sender takes to be replaced and its entries redelivered.
const SentTTL = 48 * time.Hour

// OutboxEntry is one stream entry: a message waiting to be sent.
type OutboxEntry struct {
	ID  string // stream entry ID; its first part is the enqueue time in ms
	Msg send.Message
	// Bad is set when the entry could not be decoded; it is acked and
	// dropped rather than redelivered forever.
	Bad error
}

// Enqueued is when the entry was added, by Redis's clock.
func (e OutboxEntry) Enqueued() time.Time { return idTime(e.ID) }

func idTime(id string) time.Time {
	ms, err := strconv.ParseInt(strings.SplitN(id, "-", 2)[0], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// wireMsg is send.Message as stored: short explicit JSON names, so that a
// field renamed in Go never strands entries written by the previous build.
type wireMsg struct {
	Chat     int64           `json:"c"`
	Text     string          `json:"t,omitempty"`
	ReplyTo  int             `json:"r,omitempty"`
	Buttons  [][]send.Button `json:"b,omitempty"`
	Photo    *send.File      `json:"p,omitempty"`
	Document *send.File      `json:"d,omitempty"`
	Silent   bool            `json:"s,omitempty"`
	Key      string          `json:"k,omitempty"`
	Ref      string          `json:"f,omitempty"`
	Thread   int             `json:"h,omitempty"`
	Force    bool            `json:"fr,omitempty"`
	Hint     string          `json:"ph,omitempty"`
	Edit     int             `json:"e,omitempty"`
	Album    []*send.File    `json:"a,omitempty"`
}

// encodeMsg returns the message's JSON and, apart, the bytes of an upload
// (a digest's chart): in a stream field of their own they are stored once
// as they are, where inside the JSON base64 would make them a third
// larger.
func encodeMsg(m send.Message) (msg []byte, upload []byte, err error) {
	photo, doc := m.Photo, m.Document
	for _, f := range []**send.File{&photo, &doc} {
		if *f != nil && len((*f).Data) > 0 {
			upload = (*f).Data
			cp := **f
			cp.Data = nil
			*f = &cp
		}
	}
	msg, err = json.Marshal(wireMsg{Chat: m.ChatID, Text: m.Text, ReplyTo: m.ReplyTo, Buttons: m.Buttons, Photo: photo,
		Document: doc, Silent: m.Silent, Key: m.Key, Ref: m.Ref, Thread: m.ThreadID, Force: m.ForceReply, Hint: m.Placeholder, Edit: m.Edit, Album: m.Album})
	return msg, upload, err
}

func decodeEntry(x redis.XMessage) OutboxEntry {
	e := OutboxEntry{ID: x.ID}
	raw, _ := x.Values["m"].(string)
	var w wireMsg
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		e.Bad = fmt.Errorf("outbox entry %s: %w", x.ID, err)
		return e
	}
	if b, ok := x.Values["u"].(string); ok && b != "" {
		for _, f := range []*send.File{w.Photo, w.Document} {
			if f != nil && f.FileID == "" && len(f.Data) == 0 {
				f.Data = []byte(b)
				break
			}
		}
	}
	e.Msg = send.Message{ChatID: w.Chat, Text: w.Text, ReplyTo: w.ReplyTo, Buttons: w.Buttons, Photo: w.Photo,
		Document: w.Document, Silent: w.Silent, Key: w.Key, Ref: w.Ref, ThreadID: w.Thread, ForceReply: w.Force, Placeholder: w.Hint, Edit: w.Edit, Album: w.Album}
	return e
}

// outboxAddScript enqueues a message unless its key was already sent, so
// a job that runs again after a crash does not even queue a duplicate.
// KEYS[1] stream, KEYS[2] sent marker. ARGV[1] encoded message, ARGV[2]
// the upload's bytes ("" for none).
var outboxAddScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
if ARGV[2] == '' then return redis.call('XADD', KEYS[1], '*', 'm', ARGV[1]) end
return redis.call('XADD', KEYS[1], '*', 'm', ARGV[1], 'u', ARGV[2])
`)

// OutboxAdd appends m to the outbox and returns its entry ID ("" when its
// key was already sent). A message without a Key gets a random one: go-redis
// retries a command after a network error, and an XADD retried that way
// appends a second entry; with a shared key the second one is skipped at
// send time.
func (db *DB) OutboxAdd(ctx context.Context, m send.Message) (string, error) {
	if m.Key == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		m.Key = "r:" + hex.EncodeToString(b)
	}
	raw, upload, err := encodeMsg(m)
	if err != nil {
		return "", fmt.Errorf("encode outbox message: %w", err)
	}
	id, err := outboxAddScript.Run(ctx, db.rdb, []string{db.keyOutbox(), db.keySent(m.Key)}, raw, upload).Text()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", wrap(err)
	}
	return id, nil
}

// OutboxInit creates the consumer group (and the stream) if missing. The
// group starts at 0 so entries added before it existed are read too.
func (db *DB) OutboxInit(ctx context.Context) error {
	err := db.rdb.XGroupCreateMkStream(ctx, db.keyOutbox(), OutboxGroup, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return wrap(err)
	}
	return nil
}

// OutboxRead hands up to count new entries to consumer, waiting up to
// block (none when zero) for some to arrive. Once returned they are pending on consumer
// until acked, so a crash before the ack leaves them to be claimed.
func (db *DB) OutboxRead(ctx context.Context, consumer string, count int, block time.Duration) ([]OutboxEntry, error) {
	if block <= 0 {
		block = -1 // go-redis sends BLOCK 0, "forever", for zero
	}
	res, err := db.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: OutboxGroup, Consumer: consumer,
		Streams: []string{db.keyOutbox(), ">"}, Count: int64(count), Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			// The stream was deleted under us (an operator's DEL); recreate.
			if ierr := db.OutboxInit(ctx); ierr != nil {
				return nil, ierr
			}
			return nil, nil
		}
		return nil, wrap(err)
	}
	var out []OutboxEntry
	for _, s := range res {
		for _, x := range s.Messages {
			out = append(out, decodeEntry(x))
		}
	}
	return out, nil
}

// OutboxClaim moves to consumer every pending entry idle for at least
// minIdle (a crashed or replaced sender's), oldest first.
func (db *DB) OutboxClaim(ctx context.Context, consumer string, minIdle time.Duration) ([]OutboxEntry, error) {
	var out []OutboxEntry
	start := "0-0"
	for i := 0; i < 10000; i++ {
		msgs, next, err := db.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: db.keyOutbox(), Group: OutboxGroup,
			Consumer: consumer, MinIdle: minIdle, Start: start, Count: 256}).Result()
		if err != nil {
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				return out, db.OutboxInit(ctx)
			}
			return out, wrap(err)
		}
		for _, x := range msgs {
			out = append(out, decodeEntry(x))
		}
		if next == "0-0" || next == "" {
			break
		}
		start = next
	}
	return out, nil
}

// OutboxProgress returns how many parts of the message with key were
// already accepted by Telegram (0 when none).
func (db *DB) OutboxProgress(ctx context.Context, key string) (int, error) {
	n, err := db.rdb.Get(ctx, db.keySent(key)).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, wrap(err)
}

// OutboxMarkPart records that the first parts parts of a split message
// were accepted, so a redelivery resumes after them.
func (db *DB) OutboxMarkPart(ctx context.Context, key string, parts int) error {
	return wrap(db.rdb.Set(ctx, db.keySent(key), parts, SentTTL).Err())
}

// OutboxAck finishes an entry in one transaction: when parts > 0 the key
// is marked sent with that many parts, and the entry leaves the pending
// list and the stream, so the stream's length is the outbox depth.
func (db *DB) OutboxAck(ctx context.Context, id, key string, parts int) error {
	_, err := db.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if key != "" && parts > 0 {
			p.Set(ctx, db.keySent(key), parts, SentTTL)
		}
		p.XAck(ctx, db.keyOutbox(), OutboxGroup, id)
		p.XDel(ctx, db.keyOutbox(), id)
		return nil
	})
	return wrap(err)
}

// OutboxStats returns the outbox depth and the enqueue time of its oldest
// entry (zero when empty), in one round trip.
func (db *DB) OutboxStats(ctx context.Context) (depth int64, oldest time.Time, err error) {
	var n *redis.IntCmd
	var first *redis.XMessageSliceCmd
	_, err = db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.XLen(ctx, db.keyOutbox())
		first = p.XRangeN(ctx, db.keyOutbox(), "-", "+", 1)
		return nil
	})
	if err != nil {
		return 0, time.Time{}, wrap(err)
	}
	if xs := first.Val(); len(xs) > 0 {
		oldest = idTime(xs[0].ID)
	}
	return n.Val(), oldest, nil
}

// OutboxPending counts entries handed to a consumer and not yet acked:
// messages being sent, or left behind by a sender that died.
func (db *DB) OutboxPending(ctx context.Context) (int64, error) {
	p, err := db.rdb.XPending(ctx, db.keyOutbox(), OutboxGroup).Result()
	if err != nil {
		return 0, wrap(err)
	}
	return p.Count, nil
}

// OutboxPrune deletes consumers other than keep that hold no pending
// entries and were idle longer than idle: every restart leaves one behind.
// A consumer with pending entries is never deleted, because deleting it
// would drop them from the pending list for good.
func (db *DB) OutboxPrune(ctx context.Context, keep string, idle time.Duration) error {
	cs, err := db.rdb.XInfoConsumers(ctx, db.keyOutbox(), OutboxGroup).Result()
	if err != nil {
		return wrap(err)
	}
	for _, c := range cs {
		if c.Name == keep || c.Pending > 0 || c.Idle < idle {
			continue
		}
		if err := db.rdb.XGroupDelConsumer(ctx, db.keyOutbox(), OutboxGroup, c.Name).Err(); err != nil {
			return wrap(err)
		}
	}
	return nil
}

// Undeliverable records that a message about ref could not be delivered:
// the default place the outbox flags permanent failures (a 403 from a
// group that removed the bot, a 400 for a deleted chat).
func (db *DB) Undeliverable(ctx context.Context, ref, reason string) error {
	v, _ := json.Marshal(map[string]any{"reason": reason, "at": db.clock().Unix()})
	return wrap(db.rdb.HSet(ctx, db.keyUndeliverable(), ref, v).Err())
}

// UndeliverableReason returns what Undeliverable recorded for ref.
func (db *DB) UndeliverableReason(ctx context.Context, ref string) (string, error) {
	raw, err := db.rdb.HGet(ctx, db.keyUndeliverable(), ref).Result()
	if err != nil {
		return "", wrap(err)
	}
	var v struct {
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return "", fmt.Errorf("undeliverable %s: %w", ref, err)
	}
	return v.Reason, nil
}
