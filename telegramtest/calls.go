package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
	json "github.com/goccy/go-json"
)

// Call is one recorded Bot API request and how it was answered.
type Call struct {
	Method string            // canonical spelling, e.g. "sendMessage"
	Params map[string]string // as sent; JSON fields as JSON text
	Files  map[string]File   // uploaded parts by form field name
	At     time.Time
	Status int             // 200, the error_code, or 0 for a dropped connection
	Err    string          // description of a failed call
	Result json.RawMessage // "result" of a successful call
}

// OK reports whether the call succeeded.
func (c Call) OK() bool { return c.Status == 200 }

// Int parses a numeric parameter; 0 if absent or malformed.
func (c Call) Int(name string) int64 {
	n, _ := strconv.ParseInt(c.Params[name], 10, 64)
	return n
}

// ChatID is Int("chat_id").
func (c Call) ChatID() int64 { return c.Int("chat_id") }

// Message decodes Result as a message; nil if it is not one.
func (c Call) Message() *models.Message {
	if !c.OK() || len(c.Result) == 0 || c.Result[0] != '{' {
		return nil
	}
	var m models.Message
	if json.Unmarshal(c.Result, &m) != nil || m.ID == 0 {
		return nil
	}
	return &m
}

// recorder is an append-only log with an optional cap. Calls are addressed by
// absolute index (dropped + position) so WaitFor can resume where it left
// off even while old calls are being discarded.
type recorder struct {
	mu      sync.Mutex
	calls   []Call
	dropped int
	limit   int
	waiters int
	notify  chan struct{}
	counts  map[string]int
	n429    int
}

func (r *recorder) init(limit int) {
	r.limit = limit
	r.notify = make(chan struct{})
	r.counts = map[string]int{}
}

func (r *recorder) add(c Call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	if r.limit > 0 && len(r.calls) >= 2*r.limit {
		drop := len(r.calls) - r.limit
		r.calls = append(make([]Call, 0, 2*r.limit), r.calls[drop:]...)
		r.dropped += drop
	}
	r.counts[c.Method]++
	if c.Status == 429 {
		r.n429++
	}
	// Waking is only paid for when someone waits.
	if r.waiters > 0 {
		close(r.notify)
		r.notify = make(chan struct{})
	}
	r.mu.Unlock()
}

// Calls returns the recorded calls, oldest first (only the last n with
// WithRecordLimit).
func (s *Server) Calls() []Call {
	r := &s.rec
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := r.calls
	if r.limit > 0 && len(calls) > r.limit {
		calls = calls[len(calls)-r.limit:]
	}
	return append([]Call(nil), calls...)
}

// CallsTo returns the recorded calls of one method (case-insensitive).
func (s *Server) CallsTo(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if strings.EqualFold(c.Method, method) {
			out = append(out, c)
		}
	}
	return out
}

// ClearCalls forgets recorded calls, e.g. between phases of a test.
func (s *Server) ClearCalls() {
	r := &s.rec
	r.mu.Lock()
	r.dropped += len(r.calls)
	r.calls = nil
	r.mu.Unlock()
}

// WaitFor returns the first recorded call (already recorded ones included)
// for which pred is true, waiting up to timeout for it to arrive. pred runs
// without any server lock held.
func (s *Server) WaitFor(timeout time.Duration, pred func(Call) bool) (Call, error) {
	r := &s.rec
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	next := 0
	for {
		r.mu.Lock()
		next = max(next, r.dropped)
		batch := append([]Call(nil), r.calls[next-r.dropped:]...)
		next += len(batch)
		r.waiters++
		ch := r.notify
		r.mu.Unlock()
		for _, c := range batch {
			if pred(c) {
				r.release()
				return c, nil
			}
		}
		select {
		case <-ch:
			r.release()
		case <-timer.C:
			r.release()
			return Call{}, fmt.Errorf("telegramtest: no matching call within %v; recent calls: %s", timeout, s.recent(12))
		}
	}
}

func (r *recorder) release() {
	r.mu.Lock()
	r.waiters--
	r.mu.Unlock()
}

func (s *Server) recent(n int) string {
	calls := s.Calls()
	if len(calls) > n {
		calls = calls[len(calls)-n:]
	}
	if len(calls) == 0 {
		return "none"
	}
	parts := make([]string, len(calls))
	for i, c := range calls {
		parts[i] = fmt.Sprintf("%s(%d)", c.Method, c.Status)
		if c.Err != "" {
			parts[i] += " " + strconv.Quote(c.Err)
		}
	}
	return strings.Join(parts, ", ")
}

// Stats summarises traffic, mainly for benchmarks.
type Stats struct {
	Calls           map[string]int // requests per method, whatever the outcome
	TooManyRequests int            // 429 answers served (limits and faults)
	Sent            int            // messages accepted from the bot
	// Highest number of messages the bot got accepted within any sliding
	// one-second window overall, and per chat within one second / minute.
	MaxGlobalPerSecond int
	MaxChatPerSecond   map[int64]int
	MaxChatPerMinute   map[int64]int
}

// CallCount is how many requests for method arrived. A benchmark waiting
// for the bot polls it: Stats walks every chat, which with thousands of
// them competes with the bot for the CPU it measures.
func (s *Server) CallCount(method string) int {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return s.rec.counts[method]
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{Calls: map[string]int{}, MaxChatPerSecond: map[int64]int{}, MaxChatPerMinute: map[int64]int{}}
	s.rec.mu.Lock()
	for k, v := range s.rec.counts {
		st.Calls[k] = v
	}
	st.TooManyRequests = s.rec.n429
	s.rec.mu.Unlock()
	s.lim.mu.Lock()
	st.MaxGlobalPerSecond, st.Sent = s.lim.maxGlobal, s.lim.sent
	s.lim.mu.Unlock()
	s.reg.mu.RLock()
	chats := make([]*chat, 0, len(s.reg.chats))
	for _, c := range s.reg.chats {
		chats = append(chats, c)
	}
	s.reg.mu.RUnlock()
	for _, c := range chats {
		c.mu.Lock()
		if c.maxMin > 0 {
			st.MaxChatPerSecond[c.info.ID] = c.maxSec
			st.MaxChatPerMinute[c.info.ID] = c.maxMin
		}
		c.mu.Unlock()
	}
	return st
}
