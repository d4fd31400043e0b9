package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot/telegramtest"
)

type msgRef struct {
	chat int64
	msg  int
}

// watcher matches the bot's answers to injected check-ins.
type watcher struct {
	mu    sync.Mutex
	at    map[msgRef]time.Time // injected, not answered yet
	early map[msgRef]time.Time // answered before sent() recorded it
	lat   []time.Duration
	// handed is when getUpdates handed an injected check-in to the bot
	// (first time), hlat the latencies from there to the answer.
	handed   map[msgRef]time.Time
	hlat     []time.Duration
	armed    bool
	last     time.Time
	want     int
	done     chan struct{}
	answered int
}

func newWatcher(want int) *watcher {
	return &watcher{at: map[msgRef]time.Time{}, early: map[msgRef]time.Time{}, handed: map[msgRef]time.Time{},
		want: want, done: make(chan struct{})}
}

// arm starts timing hand-outs: the setup's messages before it are not
// check-ins.
func (w *watcher) arm() {
	w.mu.Lock()
	w.armed = true
	w.mu.Unlock()
}

// handOut notes when the fake API handed message msg of chat to the bot
// (telegramtest.WithHandOut); the first time counts.
func (w *watcher) handOut(chat int64, msg int, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.armed {
		return
	}
	r := msgRef{chat, msg}
	if _, ok := w.handed[r]; !ok {
		w.handed[r] = at
	}
}

// sent records an injection. The answer can arrive before this is called
// (SendText returns after the update is queued), hence early.
func (w *watcher) sent(chat int64, msg int, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := msgRef{chat, msg}
	if t, ok := w.early[r]; ok {
		delete(w.early, r)
		w.record(r, t.Sub(at), t)
		return
	}
	w.at[r] = at
}

func (w *watcher) answer(r msgRef, t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if at, ok := w.at[r]; ok {
		delete(w.at, r)
		w.record(r, t.Sub(at), t)
		return
	}
	if _, ok := w.early[r]; !ok {
		w.early[r] = t
	}
}

func (w *watcher) record(r msgRef, d time.Duration, t time.Time) {
	w.lat = append(w.lat, max(d, 0))
	if h, ok := w.handed[r]; ok {
		delete(w.handed, r)
		w.hlat = append(w.hlat, max(t.Sub(h), 0))
	}
	w.last = t
	w.answered++
	if w.answered == w.want {
		close(w.done)
	}
}

// consume reads the fake API's events: a bot reaction on a message, or a
// bot message replying to one, answers it.
func (w *watcher) consume(events <-chan telegramtest.Event) {
	for ev := range events {
		now := time.Now()
		switch {
		case ev.Kind == telegramtest.EventReaction && ev.Entry != nil && !ev.Entry.FromBot && len(ev.Entry.Reactions) > 0:
			w.answer(msgRef{ev.ChatID, ev.MessageID}, now)
		case ev.Kind == telegramtest.EventMessage && ev.Entry != nil && ev.Entry.FromBot &&
			ev.Entry.Message.ReplyToMessage != nil:
			w.answer(msgRef{ev.ChatID, ev.Entry.Message.ReplyToMessage.ID}, now)
		}
	}
}

func (w *watcher) answeredCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.answered
}

func (w *watcher) wait(ctx context.Context) error {
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// result is what cadreload reports.
type result struct {
	Updates          int     `json:"updates"`
	Seconds          float64 `json:"seconds"`
	UpdatesPerSecond float64 `json:"updates_per_second"`
	P50ms            float64 `json:"p50_ms"`
	P99ms            float64 `json:"p99_ms"`
	MaxMs            float64 `json:"max_ms"`
	// From getUpdates handing the check-in to the bot to the answer:
	// the bot's own latency, without the time the update queued.
	HandOutP50ms             float64 `json:"handout_p50_ms"`
	HandOutP99ms             float64 `json:"handout_p99_ms"`
	BotMessages              int     `json:"bot_messages"`
	MaxMessagesPerSecond     int     `json:"max_messages_per_second"`
	TooManyRequests          int     `json:"too_many_requests"`
	RSSMiB                   float64 `json:"rss_mib,omitempty"`
	RedisRoundTripsPerUpdate float64 `json:"redis_round_trips_per_update,omitempty"`
	RedisCommandsPerUpdate   float64 `json:"redis_commands_per_update,omitempty"`
	// RedisServerCommandsPerUpdate counts on the server (INFO
	// commandstats), the commands inside Lua scripts included.
	RedisServerCommandsPerUpdate float64 `json:"redis_server_commands_per_update,omitempty"`
	RedisServerCPUPerUpdateUs    float64 `json:"redis_server_cpu_us_per_update,omitempty"`
}

func (w *watcher) result(start time.Time) *result {
	w.mu.Lock()
	defer w.mu.Unlock()
	lat := slices.Clone(w.lat)
	pct := percentiles(lat)
	hpct := percentiles(slices.Clone(w.hlat))
	secs := w.last.Sub(start).Seconds()
	return &result{Updates: len(lat), Seconds: secs, UpdatesPerSecond: float64(len(lat)) / secs,
		P50ms: pct(0.50), P99ms: pct(0.99), MaxMs: pct(1), HandOutP50ms: hpct(0.50), HandOutP99ms: hpct(0.99)}
}

// percentiles sorts lat and returns its p-th percentile in ms (0 for none).
func percentiles(lat []time.Duration) func(p float64) float64 {
	slices.Sort(lat)
	return func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(p*float64(len(lat))+0.5) - 1
		return float64(lat[min(max(i, 0), len(lat)-1)]) / float64(time.Millisecond)
	}
}

func (r *result) print(out io.Writer) {
	fmt.Fprintf(out, "check-ins answered     %d in %.2fs\n", r.Updates, r.Seconds)
	fmt.Fprintf(out, "updates/s              %.0f\n", r.UpdatesPerSecond)
	fmt.Fprintf(out, "latency p50 / p99 / max %.1f / %.1f / %.1f ms (from injection)\n", r.P50ms, r.P99ms, r.MaxMs)
	fmt.Fprintf(out, "from hand-out p50 / p99 %.1f / %.1f ms (getUpdates answered to the bot's answer)\n", r.HandOutP50ms, r.HandOutP99ms)
	fmt.Fprintf(out, "bot messages sent      %d (peak %d/s, %d answered 429)\n", r.BotMessages, r.MaxMessagesPerSecond, r.TooManyRequests)
	if r.RedisServerCommandsPerUpdate > 0 {
		fmt.Fprintf(out, "Redis server           %.2f commands (Lua included), %.1f µs CPU per update\n", r.RedisServerCommandsPerUpdate, r.RedisServerCPUPerUpdateUs)
	}
	if r.RSSMiB > 0 {
		fmt.Fprintf(out, "bot RSS                %.1f MiB\n", r.RSSMiB)
		fmt.Fprintf(out, "Redis per update       %.2f round trips, %.2f commands\n", r.RedisRoundTripsPerUpdate, r.RedisCommandsPerUpdate)
	}
}

// scrape reads unlabelled samples from a Prometheus text endpoint.
func scrape(url string) (map[string]float64, error) {
	if url == "" {
		return nil, fmt.Errorf("no -metrics URL")
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.Contains(line, "{") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// commandStats is what INFO commandstats says: commands run and CPU
// spent, in all.
type commandStats struct {
	total int64
	cpu   float64 // µs
}

// redisCommands reads INFO commandstats from the Redis at url.
func redisCommands(ctx context.Context, url string) (*commandStats, error) {
	if url == "" {
		return nil, fmt.Errorf("no -redis URL")
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(o)
	defer c.Close()
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	st := &commandStats{}
	for _, line := range strings.Split(info, "\n") {
		// cmdstat_get:calls=5,usec=12,usec_per_call=2.40,...
		_, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(line, "cmdstat_") || strings.HasPrefix(line, "cmdstat_info") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "calls":
				n, _ := strconv.ParseInt(v, 10, 64)
				st.total += n
			case "usec":
				n, _ := strconv.ParseFloat(v, 64)
				st.cpu += n
			}
		}
	}
	return st, nil
}
