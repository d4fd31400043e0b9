package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/clock"
	"cadrebot/send"
)

// BoardStore is what the check-in board needs from the store.
type BoardStore interface {
	DayStore
	BoardDay(ctx context.Context, chat int64, day calendar.Date) (*attendance.Day, error)
	ClaimBoard(ctx context.Context, chat int64, day calendar.Date) (bool, error)
	SetBoard(ctx context.Context, chat int64, day calendar.Date, msgID int) error
	DropBoard(ctx context.Context, chat int64, day calendar.Date) error
}

// BoardSender is what the board sends with (outbox.Sender). Reserve takes
// a message of the group's budget and returns 0, or says how long to wait;
// SendReserved spends that message.
type BoardSender interface {
	Send(ctx context.Context, m send.Message) (int, error)
	Reserve(chat int64) time.Duration
	SendReserved(ctx context.Context, m send.Message) (int, error)
}

// Board keeps one "today's check-ins" message per group per day, edited
// in place at most once per interval. Telegram allows a group about 20
// messages a minute, which a 20-member group checking in at 9:00 would
// spend on replies alone.
//
// The day's first check-in claims the creation of the board in its
// script, and sends it as soon as the group's budget allows. After that
// the debounce spans replicas: the check-in script claims a Redis key
// (SET NX PX interval) and only the claimer schedules a refresh, after
// the interval. The refresh drops the key and reads the state in one
// pipeline, so a check-in either lands before the read or claims the key
// again and schedules the next refresh: none is lost, and two edits are
// always an interval apart. Refreshing
// costs one round trip (two when it creates the board). The board is sent
// with Send, not Enqueue, because it needs its message id to edit; the
// refresh runs in its own goroutine, so a rate-limited send never holds
// up a check-in.
//
// A refresh waits for the group's budget rather than queue its edit in
// the outbox: a queued edit costs the outbox's round trips and a message
// of the group's 20 a minute, only to show a state the next edit
// replaces. Meanwhile the check-ins that arrive schedule nothing more in
// this process (pending): the waiting refresh reads them all when it
// runs.
type Board struct {
	st       BoardStore
	out      BoardSender
	texts    Texts
	cal      *calendar.Calendar
	clk      clock.Clock
	log      *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	last    map[boardKey]string   // the text each board shows, to skip no-op edits
	pending map[boardKey]struct{} // refreshes scheduled and not yet reading
}

type boardKey struct {
	chat int64
	day  calendar.Date
}

// NewBoard builds the board keeper.
func NewBoard(st BoardStore, out BoardSender, texts Texts, cal *calendar.Calendar, clk clock.Clock, log *slog.Logger, interval time.Duration) *Board {
	return &Board{st: st, out: out, texts: texts, cal: cal, clk: clk, log: log, interval: interval,
		last: map[boardKey]string{}, pending: map[boardKey]struct{}{}}
}

// maxBoardRetries bounds how often a refresh waits for another process
// that is creating the board.
const maxBoardRetries = 3

// maxBoardWait bounds how long a refresh waits for the budget before it
// lets its edit queue; boardRetry is the least it waits before it asks
// again.
const (
	maxBoardWait = 30 * time.Second
	boardRetry   = 500 * time.Millisecond
)

// Create sends the day's board now, for the check-in that claimed its
// creation.
func (b *Board) Create(ctx context.Context, chat int64, day calendar.Date) {
	b.schedule(ctx, chat, day, 0, true, 0)
}

// Schedule refreshes the day's board after delay, unless ctx has ended by
// then. The wait starts before Schedule returns (so a fake clock advanced
// right after sees it) and the refresh runs in its own goroutine.
func (b *Board) Schedule(ctx context.Context, chat int64, day calendar.Date, delay time.Duration) {
	b.schedule(ctx, chat, day, delay, false, 0)
}

func (b *Board) schedule(ctx context.Context, chat int64, day calendar.Date, delay time.Duration, owner bool, attempt int) {
	key := boardKey{chat, day}
	if !owner && !b.pend(key) {
		return // the refresh pending will read what this one would
	}
	var run func()
	var waited time.Duration
	reserved := false
	run = func() {
		if ctx.Err() != nil {
			if !owner {
				b.unpend(key)
			}
			return
		}
		// The budget is Telegram's, in real time whatever the app's
		// clock. Thousands of groups waiting for the global 30 a second
		// would each be told to come back in 1/30 s and wake 60,000
		// times a second between them: a board waits at least
		// boardRetry, and the jitter spreads them. A group whose replies
		// keep its outbox busy gets the board queued behind them after a
		// while, as any reply.
		if waited < maxBoardWait {
			wait := b.out.Reserve(chat)
			if wait > 0 {
				wait = max(wait, boardRetry)
				wait += rand.N(wait)
				waited += wait
				time.AfterFunc(wait, run)
				return
			}
			reserved = true
		}
		if !owner {
			// From here on a check-in schedules the next refresh: this
			// one may read before it lands.
			b.unpend(key)
		}
		if err := b.refresh(ctx, chat, day, owner, attempt, reserved); err != nil && ctx.Err() == nil {
			b.log.Warn("check-in board not updated", "chat", chat, "day", day, "err", err)
		}
	}
	if delay <= 0 {
		go run()
		return
	}
	// A timer rather than a goroutine waiting on one: a burst across
	// 2,000 groups has a refresh pending in each, and parked goroutines
	// were 16 MiB of stacks (docs/benchmarks.md).
	b.clk.AfterFunc(delay, run)
}

// pend marks a refresh of k scheduled, unless one is already.
func (b *Board) pend(k boardKey) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.pending[k]; ok {
		return false
	}
	b.pending[k] = struct{}{}
	return true
}

func (b *Board) unpend(k boardKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pending, k)
}

// refresh shows the day's state on its board. owner is true when this
// process holds the claim to create it; reserved when it holds a message
// of the group's budget for an edit (Reserve).
func (b *Board) refresh(ctx context.Context, chat int64, day calendar.Date, owner bool, attempt int, reserved bool) error {
	d, err := b.st.BoardDay(ctx, chat, day)
	if err != nil {
		return err
	}
	v, err := streaks(ctx, b.st, b.cal, d)
	if err != nil {
		return err
	}
	lang := ""
	if d.Group != nil {
		lang = d.Group.Lang
	}
	text := renderDay(b.texts, lang, b.cal, v, true)
	key := boardKey{chat, day}
	post := b.out.Send
	if reserved {
		post = b.out.SendReserved
	}
	switch {
	case d.Board > 0:
		if b.shown(key) == text {
			return nil
		}
		_, err := post(ctx, send.Message{ChatID: chat, Edit: d.Board, Text: text})
		if err == nil {
			b.remember(key, text)
			return nil
		}
		if !strings.Contains(err.Error(), "message to edit not found") {
			return err
		}
		// Someone deleted the board: start a new one, with a message of
		// the budget of its own (the edit's was spent).
		post = b.out.Send
		if err := b.st.DropBoard(ctx, chat, day); err != nil {
			return err
		}
		if owner, err = b.st.ClaimBoard(ctx, chat, day); err != nil || !owner {
			return err
		}
	case d.BoardPending && !owner:
		// Another check-in is creating it and shows what it read; come
		// back to add what it may have missed.
		if attempt < maxBoardRetries {
			b.schedule(ctx, chat, day, b.interval, false, attempt+1)
		}
		return nil
	case !d.BoardPending:
		// The claim expired or a failed send dropped it.
		if owner, err = b.st.ClaimBoard(ctx, chat, day); err != nil || !owner {
			return err
		}
	}
	id, err := post(ctx, send.Message{ChatID: chat, Text: text, Silent: true, Ref: boardRef(chat, day)})
	if err != nil {
		// Let the next check-in try again rather than leave a claim with
		// no message behind it.
		_ = b.st.DropBoard(context.WithoutCancel(ctx), chat, day)
		return err
	}
	b.remember(key, text)
	if id == 0 {
		// Queued behind the group's other messages: Sent records it.
		return nil
	}
	return b.st.SetBoard(ctx, chat, day, id)
}

// boardRef names a board in the outbox: "board:<chat>:<YYYY-MM-DD>".
func boardRef(chat int64, day calendar.Date) string {
	return "board:" + strconv.FormatInt(chat, 10) + ":" + day.String()
}

// Sent records a board the outbox delivered (a hook for refs "board:").
func (b *Board) Sent(ctx context.Context, ref string, chat int64, msgID int) error {
	parts := strings.Split(ref, ":")
	if len(parts) != 3 {
		return fmt.Errorf("board ref %q", ref)
	}
	day, err := calendar.ParseDate(parts[2])
	if err != nil {
		return fmt.Errorf("board ref %q: %w", ref, err)
	}
	return b.st.SetBoard(ctx, chat, day, msgID)
}

func (b *Board) shown(k boardKey) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last[k]
}

func (b *Board) remember(k boardKey, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.last) > 50000 {
		// Boards of past days are never edited again; a full reset only
		// costs one identical edit per live board.
		clear(b.last)
	}
	b.last[k] = text
}

// dayOf is the group's date of t.
func dayOf(t time.Time, loc *time.Location) calendar.Date { return calendar.DateOf(t.In(loc)) }
