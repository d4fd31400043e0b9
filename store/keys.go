package store

import (
	"crypto/sha256"
	"encoding/hex"
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
func (db *DB) keySchema() string                { return db.k("schema") }
func (db *DB) keyGroups() string                { return db.k("groups") }
func (db *DB) keyMoved(chat int64) string       { return db.k("moved:", itoa(chat)) }
func (db *DB) keyMigrated() string              { return db.k("migrated") }
func (db *DB) keyDeptChats() string             { return db.k("deptchats") }
func (db *DB) keyUnitChats() string             { return db.k("unitchats") }
func (db *DB) keyUser(user int64) string        { return db.k("{u", itoa(user), "}") }
func (db *DB) keyLock(name string) string       { return db.k("lock:", name) }
func (db *DB) keyOnce(name string) string       { return db.k("once:", name) }
func (db *DB) keyFlood(window int64) string     { return db.k("flood:", itoa(window)) }
func (db *DB) keyFloodNotice(user int64) string { return db.k("flood:", itoa(user), ":told") }
func (db *DB) keyWebhookSecret() string         { return db.k("webhook:secret") }

// keyFence is a lease's fencing generation. Its name is the hash tag, so a
// fenced write (the inbox's, under {in}) can check it in the same script.
func (db *DB) keyFence(name string) string { return db.k("{", name, "}:fence") }

// Group keys.
func (db *DB) keyGroup(chat int64) string    { return db.k(gtag(chat), ":meta") }
func (db *DB) keyMembers(chat int64) string  { return db.k(gtag(chat), ":members") }
func (db *DB) keyIndex(chat int64) string    { return db.k(gtag(chat), ":idx") }
func (db *DB) keyService(chat int64) string  { return db.k(gtag(chat), ":svc") }
func (db *DB) keyGroupAll(chat int64) string { return db.k(gtag(chat), ":*") }

// --- check-ins, leave and reminders ---

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
func (db *DB) keyLeave(chat int64) string    { return db.k(gtag(chat), ":leave") }
func (db *DB) keyLeaveReq(chat int64) string { return db.k(gtag(chat), ":leavereq") }
func (db *DB) keyConfirm(chat int64, nonce string) string {
	return db.k(gtag(chat), ":cf:", nonce)
}
func (db *DB) keyBoard(chat int64, day calendar.Date) string {
	return db.k(gtag(chat), ":board:", strconv.Itoa(day.Compact()))
}
func (db *DB) keyBoardDebounce(chat int64) string { return db.k(gtag(chat), ":boardd") }
func (db *DB) keyReminded(chat int64, day calendar.Date) string {
	return db.k(gtag(chat), ":rem:", strconv.Itoa(day.Compact()))
}

// --- problems ---
//
// Every problem key carries the tag {pr}: a transition rewrites the
// problem, its history and the indexes of its village, department and
// reporter in one script, which Cluster allows only within one slot.
// Forms (the /report dialog and pending card actions) belong to a group
// and carry its tag instead, so they move with it when it migrates.

const prTag = "{pr}"

func (db *DB) keyPrSeq() string                { return db.k(prTag, ":seq") }
func (db *DB) keyProblem(id int64) string      { return db.k(prTag, ":", itoa(id)) }
func (db *DB) keyPrHistory(id int64) string    { return db.k(prTag, ":", itoa(id), ":h") }
func (db *DB) keyPrAll() string                { return db.k(prTag, ":all") }
func (db *DB) keyPrCreated() string            { return db.k(prTag, ":cr") }
func (db *DB) keyPrOpen() string               { return db.k(prTag, ":open") }
func (db *DB) keyPrDept(dept string) string    { return db.k(prTag, ":d:", dept) }
func (db *DB) keyPrDeptAll(dept string) string { return db.k(prTag, ":da:", dept) }
func (db *DB) keyPrVillage(chat int64) string  { return db.k(prTag, ":v:", itoa(chat)) }
func (db *DB) keyPrVillageOpen(c int64) string { return db.k(prTag, ":vo:", itoa(c)) }
func (db *DB) keyPrUser(user int64) string     { return db.k(prTag, ":u:", itoa(user)) }
func (db *DB) keyPrDue() string                { return db.k(prTag, ":due") }
func (db *DB) keyPrGeo() string                { return db.k(prTag, ":geo") }
func (db *DB) keyPrResolved() string           { return db.k(prTag, ":resolved") }
func (db *DB) keyPrFinished() string           { return db.k(prTag, ":fin") }
func (db *DB) keyPrFinishedBuilt() string      { return db.k(prTag, ":fin:built") }
func (db *DB) keyPrNoCard() string             { return db.k(prTag, ":nocard") }
func (db *DB) keyPrFlagged() string            { return db.k(prTag, ":flagged") }
func (db *DB) keyPrCardMsgs() string           { return db.k(prTag, ":cards") }
func (db *DB) keyPrAlbum(chat int64, group string) string {
	return db.k(prTag, ":album:", itoa(chat), ":", group)
}
func (db *DB) keyPrSupport(dept string) string    { return db.k(prTag, ":s:", dept) }
func (db *DB) keyPrSupportAll(dept string) string { return db.k(prTag, ":sa:", dept) }
func (db *DB) keyPrResAlbum(chat int64, group string) string {
	return db.k(prTag, ":ralbum:", itoa(chat), ":", group)
}
func (db *DB) keyForm(chat int64, kind string, user int64) string {
	return db.k(gtag(chat), ":", kind, ":", itoa(user))
}

// --- village projects ---
//
// Every project key carries the tag {pj}: a change rewrites the project,
// its history and the indexes of its village, lead and state in one
// script, as problems do under {pr}.

const pjTag = "{pj}"

func (db *DB) keyPjSeq() string               { return db.k(pjTag, ":seq") }
func (db *DB) keyProject(id int64) string     { return db.k(pjTag, ":", itoa(id)) }
func (db *DB) keyPjHistory(id int64) string   { return db.k(pjTag, ":", itoa(id), ":h") }
func (db *DB) keyPjPhotos(id int64) string    { return db.k(pjTag, ":", itoa(id), ":ph") }
func (db *DB) keyPjAll() string               { return db.k(pjTag, ":all") }
func (db *DB) keyPjOpen() string              { return db.k(pjTag, ":open") }
func (db *DB) keyPjVillage(chat int64) string { return db.k(pjTag, ":v:", itoa(chat)) }
func (db *DB) keyPjLead(user int64) string    { return db.k(pjTag, ":u:", itoa(user)) }
func (db *DB) keyPjAlbum(chat int64, group string) string {
	return db.k(pjTag, ":album:", itoa(chat), ":", group)
}

// --- digests and exports ---
//
// Digests write only markers through Once and locks through WithLock, named
// "digest:<kind>:<chat>:<period>" (handlers.DigestKey), so they need no
// key builders of their own; store/digest.go reads the keys above.

// --- outbox and delivery ---

// keyOutbox is the outbox stream; keySent marks a message key as sent. They
// share the tag {outbox} so one transaction can mark and ack (see outbox.go).
func (db *DB) keyOutbox() string         { return db.k("{outbox}") }
func (db *DB) keySent(key string) string { return db.k("{outbox}:sent:", key) }
func (db *DB) keyUndeliverable() string  { return db.k("undeliverable") }

// --- the leaders' dashboard ---
//
// One key each, no multi-key operations: no hash tags needed. Session
// keys hold a SHA-256 of the session id, never the id itself, so a copy
// of the database (a backup, a replica) signs nobody in.

func (db *DB) keyDashLink(nonce string) string { return db.k("dash:link:", nonce) }
func (db *DB) keyDashSession(id string) string {
	sum := sha256.Sum256([]byte(id))
	return db.k("dash:s:", hex.EncodeToString(sum[:]))
}
