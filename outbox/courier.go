package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"cadrebot/bot"
	"cadrebot/clock"
	"cadrebot/lease"
	"cadrebot/metrics"
	"cadrebot/send"
	"cadrebot/store"
)

// Flagger records that a message about ref (for example "problem:42", or
// "chat:<id>" when the message named no record) can never be delivered,
// so that the failure shows where people look. store.DB is the default; a
// feature registers its own with Courier.FlagRefs.
type Flagger interface {
	Undeliverable(ctx context.Context, ref, reason string) error
}

// Store is what the outbox needs from Redis (store.DB).
type Store interface {
	OutboxAdd(ctx context.Context, m send.Message) (string, error)
	OutboxInit(ctx context.Context) error
	OutboxRead(ctx context.Context, consumer string, count int, block time.Duration) ([]store.OutboxEntry, error)
	OutboxClaim(ctx context.Context, consumer string, minIdle time.Duration) ([]store.OutboxEntry, error)
	OutboxProgress(ctx context.Context, key string) (int, error)
	OutboxMarkPart(ctx context.Context, key string, parts int) error
	OutboxAck(ctx context.Context, id, key string, parts int) error
	OutboxStats(ctx context.Context) (int64, time.Time, error)
	OutboxPrune(ctx context.Context, keep string, idle time.Duration) error
}

// Config tunes the outbox; zero fields take the defaults noted.
type Config struct {
	// Lease is the lease under which this process sends (Courier.Lead
	// runs while it is held); Leading reports it.
	Lease   *lease.Lease
	Workers int // concurrent sends (8)
	// ClaimIdle is how long an entry must sit pending on another consumer
	// before the periodic reclaim takes it over (1m).
	ClaimIdle time.Duration
	// NextReclaim returns when to run the next reclaim (every 30s).
	NextReclaim func(now time.Time) time.Time
	// GiveUp bounds how long transient failures (5xx, network) are
	// retried, counted from the enqueue time (12h).
	GiveUp     time.Duration
	Backoff    time.Duration // first retry delay (1s), doubled up to MaxBackoff
	MaxBackoff time.Duration // (5m)
	Batch      int           // entries per read (64)
	MaxHeld    int           // entries held in memory before reading pauses (5000)
	MaxBytes   int           // payload held in memory before reading pauses (64 MiB)
	Block      time.Duration // XREADGROUP block (2s)
	StatsEvery time.Duration // depth and age metrics refresh (5s)
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	def(&c.ClaimIdle, time.Minute)
	def(&c.GiveUp, 12*time.Hour)
	def(&c.Backoff, time.Second)
	def(&c.MaxBackoff, 5*time.Minute)
	def(&c.Block, 2*time.Second)
	def(&c.StatsEvery, 5*time.Second)
	if c.NextReclaim == nil {
		c.NextReclaim = func(now time.Time) time.Time { return now.Add(30 * time.Second) }
	}
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.MaxHeld <= 0 {
		c.MaxHeld = 5000
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 64 << 20
	}
}

// Courier delivers the outbox, the durable and rate-limited way out for
// every message that does not go straight to its chat. Add appends to a
// Redis Stream; one replica at a time, the holder of the sender lease,
// reads it through a consumer group and sends. One sender per deployment
// is what keeps a chat's messages in order across replicas and the global
// 30 msg/s bucket meaningful; Telegram's limits, not the process, bound
// the throughput. A replica that dies leaves its entries pending, and the
// next lease holder claims them (XAUTOCLAIM).
type Courier struct {
	db  Store
	w   wire
	lim *Limiter
	// clk times retries. It is the wall clock, like Telegram's retry_after
	// and the fake Bot API's rate windows; the app's (possibly fake) clock
	// drives schedules, not delivery.
	clk      clock.Clock
	log      *slog.Logger
	metrics  *metrics.Metrics
	cfg      Config
	consumer string

	qmu sync.Mutex
	q   *fairQueue // while leading

	hookMu sync.RWMutex
	flag   Flagger
	flags  map[string]Flagger
	sent   map[string]SentHook
}

// SentHook hears the message id of a message with a matching Ref once the
// outbox has sent it: the last part's id (the one with the buttons).
type SentHook func(ctx context.Context, ref string, chat int64, msgID int) error

func newCourier(db Store, w wire, lim *Limiter, log *slog.Logger, m *metrics.Metrics, cfg Config) *Courier {
	cfg.defaults()
	host, _ := os.Hostname()
	o := &Courier{db: db, w: w, lim: lim, clk: clock.Real{}, log: log, metrics: m, cfg: cfg,
		flags: map[string]Flagger{}, sent: map[string]SentHook{},
		consumer: fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))}
	if f, ok := db.(Flagger); ok {
		o.flag = f
	}
	return o
}

// waitFor waits until part p may go: one token for each message it
// makes (every photo of an album).
func (o *Courier) waitFor(ctx context.Context, p send.Message) error {
	for range p.Weight() {
		if err := o.lim.Wait(ctx, p.ChatID); err != nil {
			return err
		}
	}
	return nil
}

// Add queues m durably.
func (o *Courier) Add(ctx context.Context, m send.Message) error {
	_, err := o.db.OutboxAdd(ctx, m)
	return err
}

// SendKeyed sends m now, at most once per m.Key, waiting for the buckets
// and out 429s, and returns Telegram's answer to the caller: Sender.Send
// uses it for keyed messages. A job that must react to a refusal (a
// reminder DM falling back to a group mention) sends this way; if the
// process dies, the scheduler runs the unfinished firing again and the key
// skips what already went out. It returns 0 when every part had been sent
// before.
func (o *Courier) SendKeyed(ctx context.Context, m send.Message) (int, error) {
	done, err := o.db.OutboxProgress(ctx, m.Key)
	if err != nil {
		return 0, err
	}
	parts := Parts(m)
	last := 0
	for i := done; i < len(parts); i++ {
		if err := o.waitFor(ctx, parts[i]); err != nil {
			return last, err
		}
		id, err := o.w.send(ctx, parts[i])
		if err != nil {
			return last, err
		}
		last = id
		if err := o.db.OutboxMarkPart(ctx, m.Key, i+1); err != nil {
			o.log.Warn("outbox: record keyed send", "key", m.Key, "err", err)
		}
	}
	return last, nil
}

// FlagRefs makes f hear about undeliverable messages whose Ref starts with
// prefix, in addition to the default flagger.
func (o *Courier) FlagRefs(prefix string, f Flagger) {
	o.hookMu.Lock()
	defer o.hookMu.Unlock()
	o.flags[prefix] = f
}

// OnSent makes h hear the message id of every message whose Ref starts
// with prefix once the outbox has sent it.
func (o *Courier) OnSent(prefix string, h SentHook) {
	o.hookMu.Lock()
	defer o.hookMu.Unlock()
	o.sent[prefix] = h
}

// Leading reports whether this process sends the outbox now.
func (o *Courier) Leading() bool { return o.cfg.Lease != nil && o.cfg.Lease.Held() }

// holds reports whether the local queue has messages for chat.
func (o *Courier) holds(chat int64) bool {
	o.qmu.Lock()
	q := o.q
	o.qmu.Unlock()
	return q != nil && q.has(chat)
}

// Stats refreshes the depth and age gauges until ctx ends. Every replica
// runs it, so whichever is scraped tells the truth about the shared
// outbox.
func (o *Courier) Stats(ctx context.Context) {
	for {
		if err := o.RefreshStats(ctx); err != nil && ctx.Err() == nil {
			o.log.Debug("outbox: stats", "err", err)
		}
		if !clock.Sleep(ctx, o.cfg.StatsEvery) {
			return
		}
	}
}

// Lead sends while the lease holds: the caller runs it under
// Config.Lease. ctx ends at shutdown or when the lease is lost; only in
// the second case are sends in flight cut short. Sends in flight at
// shutdown finish under work, which outlives ctx by the grace period;
// whatever is left stays pending for the next sender.
func (o *Courier) Lead(ctx, work context.Context) {
	o.log.Info("outbox: this replica is the sender", "consumer", o.consumer)
	o.metrics.OutboxLeader.Set(1)
	defer o.metrics.OutboxLeader.Set(0)
	sctx, stopSends := context.WithCancel(work)
	defer stopSends()
	go func() {
		<-ctx.Done()
		if !o.Leading() {
			stopSends()
		}
	}()
	q := newFairQueue(o.clk, o.lim.Chat)
	if err := o.db.OutboxInit(ctx); err != nil {
		o.log.Error("outbox: create consumer group", "err", err)
		clock.Sleep(ctx, time.Second)
		return
	}
	// Whatever a previous sender left pending is ours now. Its lease has
	// expired or been released, so it no longer sends.
	claimed, err := o.db.OutboxClaim(ctx, o.consumer, 0)
	if err != nil {
		o.log.Error("outbox: claim pending entries", "err", err)
		clock.Sleep(ctx, time.Second)
		return
	}
	if n := q.push(claimed); n > 0 {
		o.log.Info("outbox: took over pending messages", "count", n)
	}
	o.qmu.Lock()
	o.q = q
	o.qmu.Unlock()
	defer func() {
		o.qmu.Lock()
		o.q = nil
		o.qmu.Unlock()
	}()
	var wg sync.WaitGroup
	for range o.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := q.next(sctx); it != nil; it = q.next(sctx) {
				o.handle(sctx, q, it)
			}
		}()
	}
	o.read(ctx, q)
	q.close()
	wg.Wait()
}

// read feeds the queue until ctx ends, and periodically reclaims entries
// left pending by other consumers.
func (o *Courier) read(ctx context.Context, q *fairQueue) {
	batches := make(chan []store.OutboxEntry)
	// A blocking XREADGROUP cannot be interrupted, so this goroutine may
	// outlive ctx by one read. Entries that read returns stay pending on
	// this consumer: a leadership this process has taken again meanwhile
	// gets them at once (handoff), another sender reclaims them.
	go func() {
		for q.waitBelow(ctx, o.cfg.MaxHeld, o.cfg.MaxBytes) {
			es, err := o.db.OutboxRead(ctx, o.consumer, o.cfg.Batch, o.cfg.Block)
			if ctx.Err() != nil {
				o.handoff(q, es)
				return
			}
			if err != nil {
				o.log.Warn("outbox: read", "err", err)
				clock.Sleep(ctx, time.Second)
				continue
			}
			if len(es) == 0 {
				continue
			}
			select {
			case batches <- es:
			case <-ctx.Done():
				o.handoff(q, es)
				return
			}
		}
	}()
	reclaim := time.NewTimer(time.Until(o.cfg.NextReclaim(time.Now())))
	defer reclaim.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case es := <-batches:
			q.push(es)
		case <-reclaim.C:
			o.reclaim(ctx, q)
			reclaim.Reset(time.Until(o.cfg.NextReclaim(time.Now())))
		}
	}
}

// handoff gives entries a finished leadership read to the current one,
// if this process leads again.
func (o *Courier) handoff(old *fairQueue, es []store.OutboxEntry) {
	if len(es) == 0 {
		return
	}
	o.qmu.Lock()
	cur := o.q
	o.qmu.Unlock()
	if cur != nil && cur != old {
		cur.push(es)
	}
}

func (o *Courier) reclaim(ctx context.Context, q *fairQueue) {
	es, err := o.db.OutboxClaim(ctx, o.consumer, o.cfg.ClaimIdle)
	if err != nil {
		o.log.Warn("outbox: reclaim", "err", err)
		return
	}
	// Our own entries waiting in the queue show up too; push skips them.
	if n := q.push(es); n > 0 {
		o.log.Info("outbox: reclaimed stale pending messages", "count", n)
	}
	if err := o.db.OutboxPrune(ctx, o.consumer, 10*time.Minute); err != nil {
		o.log.Warn("outbox: prune consumers", "err", err)
	}
}

// RefreshStats sets the outbox depth and oldest-entry age gauges. Every
// replica refreshes them every few seconds, so whichever is scraped tells
// the truth about the shared outbox.
func (o *Courier) RefreshStats(ctx context.Context) error {
	depth, oldest, err := o.db.OutboxStats(ctx)
	if err != nil {
		return err
	}
	o.metrics.OutboxDepth.Set(float64(depth))
	age := 0.0
	if !oldest.IsZero() {
		age = max(time.Since(oldest).Seconds(), 0)
	}
	o.metrics.OutboxAge.Set(age)
	return nil
}

// handle sends one entry, part by part, and settles it.
func (o *Courier) handle(ctx context.Context, q *fairQueue, it *outItem) {
	if it.Bad != nil {
		o.log.Error("outbox: dropping undecodable entry", "id", it.ID, "err", it.Bad)
		o.metrics.SendFailures.WithLabelValues("corrupt").Inc()
		o.finish(ctx, q, it)
		return
	}
	key := it.Msg.Key
	if !it.checked && key != "" {
		n, err := o.db.OutboxProgress(ctx, key)
		if err != nil {
			o.transient(ctx, q, it, err)
			return
		}
		it.parts, it.checked = n, true
	}
	parts := Parts(it.Msg)
	for it.parts < len(parts) {
		if !o.Leading() {
			q.release(it)
			return
		}
		if err := o.waitFor(ctx, parts[it.parts]); err != nil {
			o.failed(ctx, q, it, err)
			return
		}
		id, err := o.w.send(bot.NoRetryWait(ctx), parts[it.parts])
		if err != nil {
			o.failed(ctx, q, it, err)
			return
		}
		it.parts++
		if it.parts == len(parts) {
			o.announce(ctx, parts[len(parts)-1], id)
		}
		if it.parts < len(parts) && key != "" {
			// Without this a redelivery would repeat the parts already out.
			if err := o.db.OutboxMarkPart(ctx, key, it.parts); err != nil {
				o.log.Warn("outbox: record sent part", "key", key, "err", err)
			}
		}
	}
	o.finish(ctx, q, it)
}

// finish marks the key sent and acks the entry. Telegram has accepted the
// message by now, so the ack is retried while Redis is away: a crash
// before it lands is the one way a message can go out twice.
func (o *Courier) finish(ctx context.Context, q *fairQueue, it *outItem) {
	wait := 50 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err := o.db.OutboxAck(actx, it.ID, it.Msg.Key, it.parts)
		cancel()
		if err == nil {
			q.done(it)
			return
		}
		o.log.Warn("outbox: ack", "id", it.ID, "err", err)
		if !clock.Sleep(ctx, wait) {
			o.log.Error("outbox: stopped before the ack; the message may be sent again", "id", it.ID, "key", it.Msg.Key)
			q.release(it)
			return
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// failed decides what a send error means for the entry.
func (o *Courier) failed(ctx context.Context, q *fairQueue, it *outItem, err error) {
	retryAfter, limited := bot.RetryAfter(err)
	switch {
	case ctx.Err() != nil:
		q.release(it)
	case bot.MigratedTo(err) != 0:
		// The group became a supergroup: same conversation, new ID.
		to := bot.MigratedTo(err)
		o.log.Info("outbox: chat migrated; resending there", "from", it.Msg.ChatID, "to", to)
		it.Msg.ChatID = to
		q.retry(it, time.Time{})
	case limited:
		o.metrics.OutboxRetries.WithLabelValues("429").Inc()
		o.log.Warn("outbox: rate limited by telegram", "chat", it.Msg.ChatID, "retry_after", retryAfter)
		q.retry(it, o.clk.Now().Add(retryAfter))
	case it.Msg.Edit != 0 && send.IsPermanent(err):
		// An edit of a message that is gone or unchanged-but-refused:
		// nothing to flag, the next edit posts afresh where it matters.
		o.metrics.SendFailures.WithLabelValues("edit").Inc()
		o.log.Info("outbox: edit refused", "chat", it.Msg.ChatID, "msg", it.Msg.Edit, "err", err)
		o.finish(ctx, q, it)
	case send.IsPermanent(err):
		reason := "bad_request"
		if send.IsForbidden(err) {
			reason = "forbidden"
		}
		o.undeliverable(ctx, it, reason, err)
		o.finish(ctx, q, it)
	default:
		o.transient(ctx, q, it, err)
	}
}

// transient schedules a retry with exponential backoff, or gives up once
// the entry is older than GiveUp.
func (o *Courier) transient(ctx context.Context, q *fairQueue, it *outItem, err error) {
	if ctx.Err() != nil {
		q.release(it)
		return
	}
	if e := it.Enqueued(); !e.IsZero() && time.Since(e) > o.cfg.GiveUp {
		o.undeliverable(ctx, it, "exhausted", err)
		o.finish(ctx, q, it)
		return
	}
	it.attempts++
	d := o.cfg.Backoff << min(it.attempts-1, 20)
	if d <= 0 || d > o.cfg.MaxBackoff {
		d = o.cfg.MaxBackoff
	}
	d += time.Duration(rand.Int64N(int64(d)/5 + 1)) // spread retries of many chats
	o.metrics.OutboxRetries.WithLabelValues("error").Inc()
	o.log.Warn("outbox: send failed; will retry", "chat", it.Msg.ChatID, "attempt", it.attempts, "in", d, "err", err)
	q.retry(it, o.clk.Now().Add(d))
}

func (o *Courier) undeliverable(ctx context.Context, it *outItem, reason string, err error) {
	o.metrics.SendFailures.WithLabelValues(reason).Inc()
	ref := it.Msg.Ref
	if ref == "" {
		ref = "chat:" + strconv.FormatInt(it.Msg.ChatID, 10)
	}
	detail := reason + ": " + err.Error()
	o.log.Warn("outbox: message undeliverable", "chat", it.Msg.ChatID, "ref", ref, "reason", reason, "err", err)
	o.hookMu.RLock()
	fs := []Flagger{o.flag}
	for p, f := range o.flags {
		if strings.HasPrefix(ref, p) {
			fs = append(fs, f)
		}
	}
	o.hookMu.RUnlock()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, f := range fs {
		if f == nil {
			continue
		}
		if ferr := f.Undeliverable(fctx, ref, detail); ferr != nil {
			o.log.Error("outbox: flag undeliverable", "ref", ref, "err", ferr)
		}
	}
}

// announce tells the hook registered for m's Ref the id it was sent as.
// A hook that fails is logged: the message is out, and sending it again
// would not help.
func (o *Courier) announce(ctx context.Context, m send.Message, id int) {
	if m.Ref == "" {
		return
	}
	o.hookMu.RLock()
	var hs []SentHook
	for p, h := range o.sent {
		if strings.HasPrefix(m.Ref, p) {
			hs = append(hs, h)
		}
	}
	o.hookMu.RUnlock()
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, h := range hs {
		if err := h(hctx, m.Ref, m.ChatID, id); err != nil {
			o.log.Error("outbox: sent hook", "ref", m.Ref, "err", err)
		}
	}
}
