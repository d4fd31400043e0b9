package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// Admission is what the router tells the store about an update before it
// routes it.
type Admission struct {
	Chat    int64
	IsGroup bool
	Title   string // the group's title as the update shows it
	// User is counted against flood control when Count is set, in fixed
	// windows of Window.
	User   int64
	Count  bool
	Window time.Duration
	Now    time.Time
	// Forms asks whether User has a form (a dialog or a pending card
	// action) open in Chat, so that a plain message with none skips the
	// form reads: a check-in typed as "打卡" would otherwise read all
	// three kinds, one round trip each.
	Forms bool
	// Form, when set, reads User's form of this kind in Chat along (a
	// button of a dialog, whose handler reads the form first).
	Form string
}

// Intake is what the router learns about an update in its one round trip:
// the group it belongs to and the sender's flood count.
type Intake struct {
	Group   *cadrebot.Group // nil outside groups
	MovedTo int64           // the chat migrated here; handle the update there
	Flood   int64           // the sender's counted updates in this window, this one included (0 when not counted)
	// NoForms is set when Forms was asked and the user had no form open
	// in the chat at the intake.
	NoForms bool
	// Form is the form Admission.Form asked for, as FormAndMessages
	// would return it; nil when it was not read.
	Form *FormCopy
}

// Admit is AdmitBatch for one update.
func (db *DB) Admit(ctx context.Context, a Admission) (Intake, error) {
	in, err := db.AdmitBatch(ctx, []Admission{a})
	if err != nil {
		return Intake{}, err
	}
	return in[0], nil
}

// AdmitBatch registers groups on first contact and loads them, and counts
// senders for flood control, for a batch of updates in one pipelined
// round trip: the poller admits each batch it takes from Telegram at once.
// Groups come from the in-process cache (CacheGroups) when it has them, so
// a batch of check-ins in known groups costs one command per update: the
// flood count, which lives in Redis so that it holds across replicas.
func (db *DB) AdmitBatch(ctx context.Context, as []Admission) ([]Intake, error) {
	var a *admitting
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		a = db.queueAdmit(ctx, p, as)
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, wrap(err)
	}
	return a.finish(ctx)
}

// admitting is a batch's admission queued on a pipeline, until its
// results are in.
type admitting struct {
	db      *DB
	as      []Admission
	c       *groupCache
	gen     uint64
	entries map[int64]*groupEntry
	fetches map[int64]*admitFetch
	floods  floodBatch
	forms   []*redis.IntCmd
	form    []formRead
}

type admitFetch struct {
	meta  *redis.MapStringStringCmd
	moved *redis.StringCmd
}

// queueAdmit queues the batch's reads and counts on p.
func (db *DB) queueAdmit(ctx context.Context, p redis.Pipeliner, as []Admission) *admitting {
	ad := &admitting{db: db, as: as, c: db.cache.Load(), entries: map[int64]*groupEntry{},
		fetches: map[int64]*admitFetch{}, forms: make([]*redis.IntCmd, len(as)), form: make([]formRead, len(as))}
	if ad.c != nil {
		ad.gen = ad.c.generation()
	}
	for i, a := range as {
		if a.Forms {
			// One slot ({g<chat>}), so one EXISTS even on a cluster.
			ad.forms[i] = p.Exists(ctx, db.keyForm(a.Chat, FormReport, a.User),
				db.keyForm(a.Chat, FormAction, a.User), db.keyForm(a.Chat, FormProject, a.User))
		}
		if a.Form != "" {
			ad.form[i] = db.queueForm(ctx, p, a.Chat, a.Form, a.User)
		}
		if a.IsGroup && ad.entries[a.Chat] == nil && ad.fetches[a.Chat] == nil {
			var e *groupEntry
			if ad.c != nil {
				e = ad.c.get(a.Chat, a.Now)
			}
			if e != nil && (a.Title == "" || e.meta[fTitle] == a.Title) {
				ad.entries[a.Chat] = e
			} else {
				ad.fetches[a.Chat] = &admitFetch{moved: p.Get(ctx, db.keyMoved(a.Chat)), meta: db.touchGroup(p, ctx, a.Chat, a.Title, a.Now)}
			}
		}
		if a.Count && a.Window > 0 {
			ad.floods.add(i, a)
		}
	}
	db.countFloods(ctx, p, &ad.floods)
	return ad
}

// finish reads the results once the pipeline ran.
func (ad *admitting) finish(ctx context.Context) ([]Intake, error) {
	db, as, c, gen, entries := ad.db, ad.as, ad.c, ad.gen, ad.entries
	for chat, f := range ad.fetches {
		e := &groupEntry{meta: f.meta.Val(), at: time.Now()}
		if n, err := strconv.ParseInt(f.moved.Val(), 10, 64); err == nil {
			e.movedTo = n
		}
		entries[chat] = e
		if c != nil && e.movedTo == 0 {
			c.put(chat, e, gen)
		}
	}
	out := make([]Intake, len(as))
	ad.floods.results(out)
	for i, c := range ad.forms {
		out[i].NoForms = c != nil && c.Err() == nil && c.Val() == 0
	}
	for i, f := range ad.form {
		if f.body != nil {
			// A failed read leaves the form to the handler's own.
			out[i].Form, _ = f.result()
		}
	}
	for i, a := range as {
		if !a.IsGroup {
			continue
		}
		e := entries[a.Chat]
		if e.movedTo != 0 {
			out[i].MovedTo = e.movedTo
			continue
		}
		out[i].Group = decodeGroup(a.Chat, e.meta)
	}
	if err := db.tidyAdmitted(ctx, as, entries); err != nil {
		return out, err
	}
	return out, nil
}

// tidyAdmitted undoes the touch of groups that migrated away (a late
// update must not bring the old chat's record back) and lists groups never
// set up as transient, now and then (see Retention). Both are rare, so
// they cost a round trip only when they happen.
func (db *DB) tidyAdmitted(ctx context.Context, as []Admission, entries map[int64]*groupEntry) error {
	var moved, transient []int64
	now := time.Time{}
	for chat, e := range entries {
		switch {
		case e.movedTo != 0:
			moved = append(moved, chat)
		case unconfigured(e.meta) && time.Since(e.transient) > time.Hour:
			transient = append(transient, chat)
			e.transient = time.Now()
		}
	}
	if len(moved) == 0 && len(transient) == 0 {
		return nil
	}
	for _, a := range as {
		if a.Now.After(now) {
			now = a.Now
		}
	}
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, chat := range moved {
			p.Del(ctx, db.keyGroup(chat))
			p.SRem(ctx, db.keyGroups(), itoa(chat))
		}
		for _, chat := range transient {
			p.ZAdd(ctx, db.keyTransient(), redis.Z{Score: float64(now.Unix()), Member: itoa(chat)})
		}
		return nil
	})
	return wrap(err)
}

// CountFlood counts one more update of user against flood control, for an
// update that turned out to be handled only after routing (a dialog answer
// typed as a plain message), and returns the window's count.
func (db *DB) CountFlood(ctx context.Context, user int64, window time.Duration, now time.Time) (int64, error) {
	k := db.keyFlood(now.UnixNano() / int64(window))
	var n *redis.IntCmd
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.HIncrBy(ctx, k, itoa(user), 1)
		p.PExpire(ctx, k, 2*window)
		return nil
	})
	if err != nil {
		return 0, wrap(err)
	}
	return n.Val(), nil
}

// FloodNotice reports whether user is due the one "slow down" notice of a
// flood: true the first time within quiet, so a user who keeps flooding
// hears it once, not once per window.
func (db *DB) FloodNotice(ctx context.Context, user int64, quiet time.Duration) (bool, error) {
	ok, err := db.rdb.SetNX(ctx, db.keyFloodNotice(user), "1", quiet).Result()
	return ok, wrap(err)
}

// Once sets a marker that something happened (a digest sent, a reminder
// fired), returning false if it was already set. TTL bounds its life.
func (db *DB) Once(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	ok, err := db.rdb.SetNX(ctx, db.keyOnce(name), "1", ttl).Result()
	return ok, wrap(err)
}

// Done reports whether a marker set with Once exists.
func (db *DB) Done(ctx context.Context, name string) (bool, error) {
	n, err := db.rdb.Exists(ctx, db.keyOnce(name)).Result()
	return n > 0, wrap(err)
}

// UserState loads a user's private settings.
func (db *DB) UserState(ctx context.Context, user int64) (cadrebot.UserState, error) {
	m, err := db.rdb.HGetAll(ctx, db.keyUser(user)).Result()
	if err != nil {
		return cadrebot.UserState{}, wrap(err)
	}
	return cadrebot.UserState{Lang: m["lang"], Started: m["started"] == "1", RemindMe: m["remindme"] == "1"}, nil
}

// SetUser sets fields of a user's private settings ("lang", "started",
// "remindme"), and their retention (see Retention).
func (db *DB) SetUser(ctx context.Context, user int64, kv ...string) error {
	args := make([]any, 0, len(kv)+1)
	args = append(args, db.retention.Users.Milliseconds())
	for _, s := range kv {
		args = append(args, s)
	}
	return wrap(setUserScript.Run(ctx, db.rdb, []string{db.keyUser(user)}, args...).Err())
}

// WebhookSecret returns the deployment's webhook secret, making candidate
// it when there is none yet, so that every replica hands Telegram the same
// one (setWebhook keeps only the last).
func (db *DB) WebhookSecret(ctx context.Context, candidate string) (string, error) {
	var get *redis.StringCmd
	_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, db.keyWebhookSecret(), candidate, 0)
		get = p.Get(ctx, db.keyWebhookSecret())
		return nil
	})
	if err != nil {
		return "", wrap(err)
	}
	return get.Val(), nil
}
