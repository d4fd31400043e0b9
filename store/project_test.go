package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"cadrebot"
)

func sampleProject() cadrebot.Project {
	return cadrebot.Project{Version: 1, VillageChat: -100, Village: "谢家坞 (平水镇)", Town: "平水镇", Name: "儿童公园停车场 <b>扩建</b>",
		Desc: "北侧 40 个车位", Lead: 1002, LeadName: "李强", Budget: "50万元", Created: t0, CreatedBy: 1001, CreatorName: "王芳",
		Milestones: []cadrebot.Milestone{{Name: "设计", Due: t0.Add(5 * 24 * time.Hour)}, {Name: "完工", Due: t0.Add(20 * 24 * time.Hour)}}}
}

func TestProjectStore(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	p := sampleProject()
	id, err := db.CreateProject(ctx, &p, cadrebot.ProjectEntry{At: t0, By: 1001, Name: "王芳", Action: cadrebot.PjCreate})
	if err != nil || id != 1 {
		t.Fatalf("CreateProject = %d, %v", id, err)
	}
	got, err := db.Project(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got, cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("Project mismatch (-stored +loaded):\n%s", diff)
	}
	if _, err := db.Project(ctx, 9); !errors.Is(err, cadrebot.ErrNotFound) {
		t.Errorf("Project(9) = %v, want ErrNotFound", err)
	}
	ids := func(l cadrebot.ProjectSet) []int64 {
		ps, err := db.ProjectsOf(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	for name, l := range map[string]cadrebot.ProjectSet{"all": cadrebot.AllProjects, "open": cadrebot.OpenProjects,
		"village": cadrebot.VillageProjects(-100), "lead": cadrebot.ProjectsLedBy(1002)} {
		if got := ids(l); !slices.Equal(got, []int64{1}) {
			t.Errorf("%s = %v, want [1]", name, got)
		}
	}

	// A note with a photo, then the rest of its album.
	idx, err := db.AddProjectNote(ctx, id, cadrebot.ProjectEntry{At: t0.Add(time.Hour), By: 1002, Name: "李强", Action: cadrebot.PjNote,
		Note: "图纸送审", Photos: []string{"AgA1"}})
	if err != nil || idx != 1 {
		t.Fatalf("AddProjectNote = %d, %v", idx, err)
	}
	for _, f := range []string{"AgA2", "AgA3"} {
		if ok, err := db.AddProjectNotePhoto(ctx, id, idx, f, 2); err != nil || ok != (f == "AgA2") {
			t.Errorf("AddProjectNotePhoto(%s) = %v, %v (limit 2)", f, ok, err)
		}
	}
	if _, err := db.AddProjectNote(ctx, 9, cadrebot.ProjectEntry{Action: cadrebot.PjNote}); !errors.Is(err, cadrebot.ErrNotFound) {
		t.Errorf("a note on no project: %v", err)
	}

	// Both milestones done: the project leaves the open list; a write
	// from an old version is refused.
	cur, _ := db.Project(ctx, id)
	if cur.Notes != 1 || !cur.LastNote.Equal(t0.Add(time.Hour)) {
		t.Errorf("notes %d, last %v", cur.Notes, cur.LastNote)
	}
	one, es, _ := cadrebot.CompleteMilestone(cur, 0, "李强", t0.Add(2*time.Hour))
	if err := db.ApplyProject(ctx, cur, one, es); err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyProject(ctx, cur, one, es); !errors.Is(err, cadrebot.ErrConflict) {
		t.Errorf("a stale write = %v, want ErrConflict", err)
	}
	two, es, _ := cadrebot.CompleteMilestone(one, 1, "李强", t0.Add(3*time.Hour))
	if err := db.ApplyProject(ctx, one, two, es); err != nil {
		t.Fatal(err)
	}
	if got := ids(cadrebot.OpenProjects); len(got) != 0 {
		t.Errorf("open after completion = %v", got)
	}
	hist, err := db.ProjectHistory(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var acts []cadrebot.ProjectAction
	for _, e := range hist {
		acts = append(acts, e.Action)
	}
	if diff := cmp.Diff([]cadrebot.ProjectAction{cadrebot.PjCreate, cadrebot.PjNote, cadrebot.PjDone, cadrebot.PjDone, cadrebot.PjComplete}, acts); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if !slices.Equal(hist[1].Photos, []string{"AgA1", "AgA2"}) {
		t.Errorf("note photos %v", hist[1].Photos)
	}
	if got, _ := db.Project(ctx, id); got.Notes != 1 || !got.Done() {
		t.Errorf("a change of milestones lost the note count or the done time: %+v", got)
	}

	// Markers are once; albums remember their note; migration moves it.
	for i, want := range []bool{true, false} {
		if ok, err := db.MarkProject(ctx, id, "rem:0:1", "x"); err != nil || ok != want {
			t.Errorf("MarkProject #%d = %v, %v", i, ok, err)
		}
	}
	if err := db.SetProjectAlbum(ctx, -100, "g1", id, idx, 1002); err != nil {
		t.Fatal(err)
	}
	if pid, i, u, err := db.ProjectAlbum(ctx, -100, "g1"); err != nil || pid != id || i != idx || u != 1002 {
		t.Errorf("ProjectAlbum = %d %d %d %v", pid, i, u, err)
	}
	if err := db.MigrateProjects(ctx, -100, -1000100); err != nil {
		t.Fatal(err)
	}
	if got := ids(cadrebot.VillageProjects(-1000100)); !slices.Equal(got, []int64{1}) || len(ids(cadrebot.VillageProjects(-100))) != 0 {
		t.Errorf("after migration: new %v, old %v", got, ids(cadrebot.VillageProjects(-100)))
	}
}

// The fields joint handling, evidence and ratings add survive a round
// trip, and supporters have their lists.
func TestProblemJointFields(t *testing.T) {
	db := problemDB(t)
	ctx := context.Background()
	s := sample()
	s.Support = []string{"environment", "county"}
	p := create(t, db, s)
	list := func(l cadrebot.ProblemSet) []int64 {
		ids, _, err := db.ProblemPage(ctx, l, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if !slices.Equal(list(cadrebot.SupportQueue("county")), []int64{p.ID}) || !slices.Equal(list(cadrebot.SupportedProblems("environment")), []int64{p.ID}) {
		t.Error("a supporter's lists lack the problem")
	}
	if err := db.AddSupportNote(ctx, p.ID, cadrebot.Entry{At: t0.Add(time.Hour), By: 2003, Action: cadrebot.ActNote, Dept: "environment", Note: "已清运"}); err != nil {
		t.Fatal(err)
	}
	res, e, err := cadrebot.Transition(p, cadrebot.Change{Action: cadrebot.ActResolve, Roles: cadrebot.RoleHandler, Note: "好了",
		Photos: []string{"R1"}}, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyProblem(ctx, p, res, e); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.AddResolutionPhoto(ctx, p.ID, "R2", 5); !ok || err != nil {
		t.Errorf("AddResolutionPhoto = %v, %v", ok, err)
	}
	// A transition writes the problem as it read it: read it again, as
	// the handlers do (act), after the album's photo.
	if res, err = db.Problem(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	rated, e, err := cadrebot.Transition(res, cadrebot.Change{Action: cadrebot.ActRate, Roles: cadrebot.RoleReporter, Rating: cadrebot.RatingBasic,
		Name: "王芳"}, t0.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyProblem(ctx, res, rated, e); err != nil {
		t.Fatal(err)
	}
	got, err := db.Problem(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Support, []string{"environment", "county"}) || !slices.Equal(got.ResolutionPhotos, []string{"R1", "R2"}) ||
		got.Rating != cadrebot.RatingBasic || got.RatedBy != "王芳" || !got.RatedAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("loaded %+v", got)
	}
	if at, ok := got.Noted("environment"); !ok || !at.Equal(t0.Add(time.Hour)) {
		t.Errorf("Noted(environment) = %v, %v", at, ok)
	}
	if _, ok := got.Noted("county"); ok {
		t.Error("county noted without a note")
	}
	// Resolved: no longer in a supporter's working list, still in its all.
	if len(list(cadrebot.SupportQueue("county"))) != 0 || len(list(cadrebot.SupportedProblems("county"))) != 1 {
		t.Error("supporter lists after resolution")
	}
	if err := db.SetResolutionAlbum(ctx, -100, "g2", p.ID, 2001); err != nil {
		t.Fatal(err)
	}
	if id, user, err := db.ResolutionAlbum(ctx, -100, "g2"); id != p.ID || user != 2001 || err != nil {
		t.Errorf("ResolutionAlbum = %d, %d, %v", id, user, err)
	}
}
