package store

import (
	"strconv"

	"cadrebot/calendar"
)

// Every key cadrebot writes is built here. Keys of one group share the hash
// tag {g<chat>} so that multi-key scripts and transactions work on Redis
// Cluster; all problem keys share {pr} because a problem touches the
// indexes of a village, a department and the deployment at once.
// docs/redis.md documents each key: type, TTL and writer.

func (db *DB) k(parts ...string) string {
	n := len(db.prefix)
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, db.prefix...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return string(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func gtag(chat int64) string { return "{g" + itoa(chat) + "}" }

// Deployment-wide keys.
func (db *DB) keySchema() string          { return db.k("schema") }
func (db *DB) keyGroups() string          { return db.k("groups") }
func (db *DB) keyOffset() string          { return db.k("offset") }
func (db *DB) keyUpdate(id int64) string  { return db.k("upd:", itoa(id)) }
func (db *DB) keyMoved(chat int64) string { return db.k("moved:", itoa(chat)) }
func (db *DB) keyDeptChats() string       { return db.k("deptchats") }
func (db *DB) keyUser(user int64) string  { return db.k("{u", itoa(user), "}") }
func (db *DB) keyLock(name string) string { return db.k("lock:", name) }
func (db *DB) keyOnce(name string) string { return db.k("once:", name) }

// Group keys.
func (db *DB) keyGroup(chat int64) string    { return db.k(gtag(chat), ":meta") }
func (db *DB) keyMembers(chat int64) string  { return db.k(gtag(chat), ":members") }
func (db *DB) keyIndex(chat int64) string    { return db.k(gtag(chat), ":idx") }
func (db *DB) keyGroupAll(chat int64) string { return db.k(gtag(chat), ":*") }

// KeyLock names a lock for the lock library.
func (db *DB) KeyLock(name string) string { return db.keyLock(name) }

// --- check-ins, leave and reminders (issue 3) ---

func (db *DB) keyCheckins(chat int64, year int) string {
	return db.k(gtag(chat), ":ci:", strconv.Itoa(year))
}
func (db *DB) keyOffsite(chat int64, year int) string {
	return db.k(gtag(chat), ":off:", strconv.Itoa(year))
}
func (db *DB) keyCheckinNotes(chat int64, day calendar.Date) string {
	return db.k(gtag(chat), ":cin:", strconv.Itoa(day.Compact()))
}
func (db *DB) keyCheckinTimes(chat int64, day calendar.Date) string {
	return db.k(gtag(chat), ":cit:", strconv.Itoa(day.Compact()))
}
func (db *DB) keyLeave(chat int64) string { return db.k(gtag(chat), ":leave") }
func (db *DB) keyBoard(chat int64, day calendar.Date) string {
	return db.k(gtag(chat), ":board:", strconv.Itoa(day.Compact()))
}
func (db *DB) keyBoardDebounce(chat int64) string { return db.k(gtag(chat), ":boardd") }
func (db *DB) keyReminded(chat int64, day calendar.Date) string {
	return db.k(gtag(chat), ":rem:", strconv.Itoa(day.Compact()))
}

// --- problems (issue 4) ---

// --- digests and exports (issue 5) ---

// --- outbox and delivery (issue 6) ---

// keyOutbox is the outbox stream; keySent marks a message key as sent. They
// share the tag {outbox} so one transaction can mark and ack (see outbox.go).
func (db *DB) keyOutbox() string         { return db.k("{outbox}") }
func (db *DB) keySent(key string) string { return db.k("{outbox}:sent:", key) }
func (db *DB) keyUndeliverable() string  { return db.k("undeliverable") }
