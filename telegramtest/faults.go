package telegramtest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Fault is an injected failure. Code defaults to 429 when RetryAfter is set
// and to 500 otherwise; Description defaults to Telegram's wording for Code.
type Fault struct {
	Code        int
	Description string
	RetryAfter  int

	// Applied performs the call before failing it: the message is sent but
	// the bot sees an error, as when a response is lost in transit.
	Applied bool
	// Drop cuts the connection without any answer.
	Drop bool
	// Page answers with an HTML page instead of the API's JSON, echoing
	// the request path (token included), as a reverse proxy's or a
	// self-hosted Bot API server's error page does.
	Page bool
}

func (f *Fault) apiError() *apiError {
	code := f.Code
	if code == 0 {
		code = 500
		if f.RetryAfter > 0 {
			code = 429
		}
	}
	desc := f.Description
	if desc == "" {
		switch code {
		case 400:
			desc = "Bad Request"
		case 429:
			desc = fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter)
		default:
			desc = http.StatusText(code)
		}
	}
	return &apiError{code: code, desc: desc, retryAfter: f.RetryAfter}
}

type faultTable struct {
	armed atomic.Bool // lets the hot path skip the lock when no faults exist
	mu    sync.Mutex
	next  []nextFault
	pred  func(Call) *Fault
}

type nextFault struct {
	method string
	n      int
	f      Fault
}

// FailNext makes the next n calls of method fail with f. The method name is
// case-insensitive; "" matches every method except getUpdates, so a running
// poller does not swallow faults meant for sends. Rules queue up in order.
func (s *Server) FailNext(method string, n int, f Fault) {
	if n <= 0 {
		return
	}
	s.faults.mu.Lock()
	s.faults.next = append(s.faults.next, nextFault{method: method, n: n, f: f})
	s.faults.armed.Store(true)
	s.faults.mu.Unlock()
}

// FailWhile installs a hook consulted for every call (after FailNext rules):
// a non-nil Fault fails that call. Call.Status is 0 when the hook sees it.
// Pass nil to remove the hook. The hook must not call back into the Server's
// fault methods.
func (s *Server) FailWhile(pred func(Call) *Fault) {
	s.faults.mu.Lock()
	s.faults.pred = pred
	s.faults.armed.Store(pred != nil || len(s.faults.next) > 0)
	s.faults.mu.Unlock()
}

func (t *faultTable) match(c Call) *Fault {
	if !t.armed.Load() {
		return nil
	}
	t.mu.Lock()
	for i := range t.next {
		nf := &t.next[i]
		if nf.method == "" && c.Method == "getUpdates" {
			continue
		}
		if nf.method != "" && !strings.EqualFold(nf.method, c.Method) {
			continue
		}
		f := nf.f
		if nf.n--; nf.n == 0 {
			t.next = append(t.next[:i], t.next[i+1:]...)
		}
		t.armed.Store(t.pred != nil || len(t.next) > 0)
		t.mu.Unlock()
		return &f
	}
	pred := t.pred
	t.mu.Unlock()
	if pred == nil {
		return nil
	}
	return pred(c)
}
