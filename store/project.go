package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// Project hash fields. Milestones are one JSON field: they change
// together (one is marked done, the version moves) and are always read
// together. Sweep markers are "m:<name>", as on problems.
const (
	pjfVersion  = "v"
	pjfVChat    = "vc"
	pjfVillage  = "vn"
	pjfTown     = "tw"
	pjfName     = "nm"
	pjfDesc     = "ds"
	pjfLead     = "ld"
	pjfLeadName = "ldn"
	pjfBudget   = "bg"
	pjfMiles    = "ms"
	pjfCreated  = "cr"
	pjfCreator  = "cb"
	pjfCreatorN = "cbn"
	pjfDone     = "da"
	pjfNotes    = "nt"
	pjfLastNote = "lt"
)

// milestoneJSON is a milestone as stored.
type milestoneJSON struct {
	Name   string `json:"n"`
	Due    int64  `json:"d"`
	DoneAt int64  `json:"a,omitempty"`
	DoneBy string `json:"b,omitempty"`
}

func encodeMilestones(ms []cadrebot.Milestone) string {
	out := make([]milestoneJSON, len(ms))
	for i, m := range ms {
		out[i] = milestoneJSON{Name: m.Name, Due: m.Due.Unix(), DoneBy: m.DoneBy}
		if m.Done() {
			out[i].DoneAt = m.DoneAt.Unix()
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func decodeMilestones(s string) []cadrebot.Milestone {
	var in []milestoneJSON
	if json.Unmarshal([]byte(s), &in) != nil {
		return nil
	}
	out := make([]cadrebot.Milestone, len(in))
	for i, m := range in {
		out[i] = cadrebot.Milestone{Name: m.Name, Due: time.Unix(m.Due, 0), DoneBy: m.DoneBy}
		if m.DoneAt != 0 {
			out[i].DoneAt = time.Unix(m.DoneAt, 0)
		}
	}
	return out
}

func projectFields(p *cadrebot.Project) [][2]string {
	return [][2]string{
		{pjfVersion, itoa(p.Version)}, {pjfVChat, itoa(p.VillageChat)}, {pjfVillage, p.Village}, {pjfTown, p.Town},
		{pjfName, p.Name}, {pjfDesc, p.Desc}, {pjfLead, itoa(p.Lead)}, {pjfLeadName, p.LeadName}, {pjfBudget, p.Budget},
		{pjfMiles, encodeMilestones(p.Milestones)}, {pjfCreated, unix(p.Created)}, {pjfCreator, itoa(p.CreatedBy)},
		{pjfCreatorN, p.CreatorName}, {pjfDone, unix(p.DoneAt)},
	}
}

func decodeProject(id int64, m map[string]string) cadrebot.Project {
	p := cadrebot.Project{ID: id, Village: m[pjfVillage], Town: m[pjfTown], Name: m[pjfName], Desc: m[pjfDesc],
		LeadName: m[pjfLeadName], Budget: m[pjfBudget], CreatorName: m[pjfCreatorN],
		Milestones: decodeMilestones(m[pjfMiles])}
	p.Version, _ = strconv.ParseInt(m[pjfVersion], 10, 64)
	p.VillageChat, _ = strconv.ParseInt(m[pjfVChat], 10, 64)
	p.Lead, _ = strconv.ParseInt(m[pjfLead], 10, 64)
	p.CreatedBy, _ = strconv.ParseInt(m[pjfCreator], 10, 64)
	p.Created, p.DoneAt, p.LastNote = parseUnix(m[pjfCreated]), parseUnix(m[pjfDone]), parseUnix(m[pjfLastNote])
	p.Notes, _ = strconv.Atoi(m[pjfNotes])
	return p
}

// projectIndexes are the sorted sets a project belongs to, scored by
// number: all, open (not done), its village's and its lead's.
func (db *DB) projectIndexes(p *cadrebot.Project) []string {
	ix := []string{db.keyPjAll(), db.keyPjVillage(p.VillageChat), db.keyPjLead(p.Lead)}
	if !p.Done() {
		ix = append(ix, db.keyPjOpen())
	}
	return ix
}

func (db *DB) projectWrite(id int64) *write {
	return db.newWriteOn(id, db.keyProject(id), db.keyPjHistory(id))
}

// putProject adds the writes that store p and move it from old's indexes
// to its own.
func (w *write) putProject(old, p *cadrebot.Project) {
	for _, f := range projectFields(p) {
		w.hset(f[0], f[1])
	}
	keep := map[string]bool{}
	for _, k := range w.db.projectIndexes(p) {
		keep[k] = true
		w.zadd(k, p.ID, w.member())
	}
	if old != nil {
		for _, k := range w.db.projectIndexes(old) {
			if !keep[k] {
				w.zrem(k, w.member())
			}
		}
	}
}

func projectEntryJSON(e cadrebot.ProjectEntry) string {
	b, _ := json.Marshal(e)
	return string(b)
}

// CreateProject numbers p (INCR, so a retried INCR may skip a number but
// never reuses one), stores it with its first history entry and indexes
// it.
func (db *DB) CreateProject(ctx context.Context, p *cadrebot.Project, e cadrebot.ProjectEntry) (int64, error) {
	id, err := db.rdb.Incr(ctx, db.keyPjSeq()).Result()
	if err != nil {
		return 0, wrap(err)
	}
	p.ID = id
	w := db.projectWrite(id)
	w.putProject(nil, p)
	n, err := w.runJSON(ctx, "-", projectEntryJSON(e))
	return numbered("project", id, db.keyPjSeq(), n, err)
}

// Project loads one project, or cadrebot.ErrNotFound.
func (db *DB) Project(ctx context.Context, id int64) (cadrebot.Project, error) {
	return hashRecord(ctx, db, db.keyProject(id), func(m map[string]string) cadrebot.Project { return decodeProject(id, m) })
}

// Projects loads many projects, one pipelined round trip per 1,000, in
// the order of ids; unknown numbers are left out.
func (db *DB) Projects(ctx context.Context, ids []int64) ([]cadrebot.Project, error) {
	return hashRecords(ctx, db, ids, db.keyProject, decodeProject)
}

// ApplyProject stores p as cadrebot.CompleteMilestone left it, with its
// history entries, if the stored project is still at old.Version;
// otherwise it returns cadrebot.ErrConflict and writes nothing.
func (db *DB) ApplyProject(ctx context.Context, old, p cadrebot.Project, es []cadrebot.ProjectEntry) error {
	w := db.projectWrite(p.ID)
	w.putProject(&old, &p)
	first := ""
	for i, e := range es {
		if i == 0 {
			first = projectEntryJSON(e)
			continue
		}
		w.rpush(db.keyPjHistory(p.ID), projectEntryJSON(e))
	}
	n, err := w.runJSON(ctx, itoa(old.Version), first)
	if err != nil {
		return err
	}
	if n == 0 {
		return cadrebot.ErrConflict
	}
	return nil
}

// addNoteScript appends a progress note and its photos.
// KEYS[1] project hash, KEYS[2] history, KEYS[3] photos hash.
// ARGV[1] entry JSON, ARGV[2] unix time, ARGV[3] photos (newline-separated,
// may be empty).
// Returns the note's index in the history, or -1 when the project is gone.
var addNoteScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('RPUSH', KEYS[2], ARGV[1])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], tostring(n - 1), ARGV[3]) end
redis.call('HINCRBY', KEYS[1], 'nt', 1)
redis.call('HSET', KEYS[1], 'lt', ARGV[2])
return n - 1
`)

// AddProjectNote appends a progress note with its photos (e.Photos) and
// returns its index in the history, which later photos of its album
// name (AddProjectNotePhoto).
func (db *DB) AddProjectNote(ctx context.Context, id int64, e cadrebot.ProjectEntry) (int, error) {
	keys := []string{db.keyProject(id), db.keyPjHistory(id), db.keyPjPhotos(id)}
	n, err := addNoteScript.Run(ctx, db.rdb, keys, projectEntryJSON(e), e.At.Unix(), strings.Join(e.Photos, "\n")).Int()
	if err != nil {
		return 0, wrap(err)
	}
	if n < 0 {
		return 0, cadrebot.ErrNotFound
	}
	return n, nil
}

// AddProjectNotePhoto appends a photo to note idx (the rest of the album
// its first photo came with); false when the note has max photos.
func (db *DB) AddProjectNotePhoto(ctx context.Context, id int64, idx int, fileID string, max int) (bool, error) {
	return db.addPhoto(ctx, db.keyPjPhotos(id), strconv.Itoa(idx), fileID, max)
}

// AddProjectHistory appends an entry that changes nothing else (a
// reminder, an overdue notice).
func (db *DB) AddProjectHistory(ctx context.Context, id int64, e cadrebot.ProjectEntry) error {
	return wrap(db.rdb.RPush(ctx, db.keyPjHistory(id), projectEntryJSON(e)).Err())
}

// ProjectHistories loads the histories of many projects, oldest first,
// with their notes' photos: one pipelined round trip per 500 projects.
func (db *DB) ProjectHistories(ctx context.Context, ids []int64) (map[int64][]cadrebot.ProjectEntry, error) {
	out := make(map[int64][]cadrebot.ProjectEntry, len(ids))
	const batchN = problemBatch / 2
	for start := 0; start < len(ids); start += batchN {
		batch := ids[start:min(start+batchN, len(ids))]
		hs := make([]*redis.StringSliceCmd, len(batch))
		phs := make([]*redis.MapStringStringCmd, len(batch))
		_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range batch {
				hs[i] = p.LRange(ctx, db.keyPjHistory(id), 0, -1)
				phs[i] = p.HGetAll(ctx, db.keyPjPhotos(id))
			}
			return nil
		})
		if err != nil {
			return nil, wrap(err)
		}
		for i, id := range batch {
			ss := hs[i].Val()
			es := make([]cadrebot.ProjectEntry, 0, len(ss))
			for j, s := range ss {
				var e cadrebot.ProjectEntry
				if err := json.Unmarshal([]byte(s), &e); err != nil {
					return nil, fmt.Errorf("project %d history: %w", id, err)
				}
				if ph := phs[i].Val()[strconv.Itoa(j)]; ph != "" {
					e.Photos = strings.Split(ph, "\n")
				}
				es = append(es, e)
			}
			out[id] = es
		}
	}
	return out, nil
}

// ProjectHistory is one project's history with its notes' photos.
func (db *DB) ProjectHistory(ctx context.Context, id int64) ([]cadrebot.ProjectEntry, error) {
	m, err := db.ProjectHistories(ctx, []int64{id})
	return m[id], err
}

// projectSet is the index key of a set of projects.
func (db *DB) projectSet(s cadrebot.ProjectSet) string {
	switch s.Kind {
	case cadrebot.ProjectsOpen:
		return db.keyPjOpen()
	case cadrebot.ProjectsOfVillage:
		return db.keyPjVillage(s.Chat)
	case cadrebot.ProjectsOfLead:
		return db.keyPjLead(s.User)
	}
	return db.keyPjAll()
}

// ProjectsOf loads every project of a list, oldest first: one round trip
// for the ids and one per 1,000 projects.
func (db *DB) ProjectsOf(ctx context.Context, l cadrebot.ProjectSet) ([]cadrebot.Project, error) {
	ids, err := db.rdb.ZRange(ctx, db.projectSet(l), 0, -1).Result()
	if err != nil {
		return nil, wrap(err)
	}
	return db.Projects(ctx, parseIDs(ids))
}

// MarkProject sets marker name on a project once and reports whether this
// call set it: the sweep reminds and notifies once per milestone and due
// date, across restarts and replicas.
func (db *DB) MarkProject(ctx context.Context, id int64, name, value string) (bool, error) {
	ok, err := db.rdb.HSetNX(ctx, db.keyProject(id), pfMark+name, value).Result()
	return ok, wrap(err)
}

// SetProjectAlbum remembers that media group group, sent in chat by user,
// carried progress note idx of project id.
func (db *DB) SetProjectAlbum(ctx context.Context, chat int64, group string, id int64, idx int, user int64) error {
	v := itoa(id) + ":" + strconv.Itoa(idx) + ":" + itoa(user)
	return wrap(db.rdb.Set(ctx, db.keyPjAlbum(chat, group), v, AlbumTTL).Err())
}

// ProjectAlbum returns the project note a media group carried and who
// sent it; id 0 when none.
func (db *DB) ProjectAlbum(ctx context.Context, chat int64, group string) (id int64, idx int, user int64, err error) {
	s, err := db.rdb.Get(ctx, db.keyPjAlbum(chat, group)).Result()
	if err == redis.Nil {
		return 0, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, wrap(err)
	}
	f := strings.Split(s, ":")
	if len(f) != 3 {
		return 0, 0, 0, nil
	}
	id, _ = strconv.ParseInt(f[0], 10, 64)
	idx, _ = strconv.Atoi(f[1])
	user, _ = strconv.ParseInt(f[2], 10, 64)
	return id, idx, user, nil
}

// MigrateProjects follows a village group that became a supergroup: its
// projects and their index move to the new chat id. It is a MigrateHook
// and safe to run twice.
func (db *DB) MigrateProjects(ctx context.Context, from, to int64) error {
	ps, err := db.ProjectsOf(ctx, cadrebot.VillageProjects(from))
	if err != nil {
		return err
	}
	for i := range ps {
		old := ps[i]
		p := old
		p.VillageChat = to
		w := db.projectWrite(p.ID)
		w.putProject(&old, &p)
		if _, err := w.runJSON(ctx, "", ""); err != nil {
			return err
		}
	}
	return nil
}
