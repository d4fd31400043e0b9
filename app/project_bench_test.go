package app_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/config"
	"cadrebot/handlers"
	"cadrebot/i18n"
	"cadrebot/send"
	"cadrebot/storetest"
)

// countingSender counts what the project sweep would send.
type countingSender struct{ enqueued atomic.Int64 }

func (s *countingSender) Send(context.Context, send.Message) (int, error) { return 1, nil }
func (s *countingSender) Enqueue(context.Context, send.Message) error {
	s.enqueued.Add(1)
	return nil
}
func (s *countingSender) Edit(context.Context, int64, int, string, [][]send.Button) error { return nil }
func (s *countingSender) React(context.Context, int64, int, string) error                 { return nil }
func (s *countingSender) Answer(context.Context, string, string, bool) error              { return nil }

// BenchmarkProjectSweep is the daily project sweep over 2,000 open
// projects of 5 milestones each (one per village of the digest
// benchmark's deployment), through the real store:
//
//	go test -run '^$' -bench BenchmarkProjectSweep -benchtime 20x ./app/
//
// "quiet" is a day nothing comes due (what almost every run is), "remind"
// a day every project's first milestone enters its reminder window: 2,000
// private reminders, each marked once.
func BenchmarkProjectSweep(b *testing.B) {
	const projects = 2000
	db := storetest.DB(b)
	rdb := storetest.Dial(b) // to undo the reminders' markers between runs
	ctx := context.Background()
	first := time.Date(2026, 12, 20, 0, 0, 0, 0, apptest.Shanghai)
	for i := range projects {
		p := cadrebot.Project{Version: 1, VillageChat: benchChat(i), Village: "村", Town: "镇", Name: "项目", Lead: int64(100000 + i),
			LeadName: "干部", Created: benchFiring}
		for m := range 5 {
			p.Milestones = append(p.Milestones, cadrebot.Milestone{Name: "节点", Due: first.AddDate(0, m, 0)})
		}
		if _, err := db.CreateProject(ctx, &p, cadrebot.ProjectEntry{At: benchFiring, Action: cadrebot.PjCreate}); err != nil {
			b.Fatal(err)
		}
	}
	texts, err := i18n.Load("zh")
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Defaults()
	out := &countingSender{}
	pj := &handlers.Projects{Store: db, Out: out, Texts: texts, Auth: nil, Cfg: &cfg, Loc: apptest.Shanghai}
	run := func(b *testing.B, at time.Time, reset bool) {
		var rts int64
		for b.Loop() {
			if reset {
				b.StopTimer()
				for id := range int64(projects) {
					if err := rdb.HDel(ctx, db.Prefix()+"{pj}:"+itoa64(id+1), "m:rem:0:"+itoa64(first.Unix())).Err(); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
			}
			r0 := db.Stats().RoundTrips.Load()
			if err := pj.Sweep(ctx, at); err != nil {
				b.Fatal(err)
			}
			rts += db.Stats().RoundTrips.Load() - r0
		}
		b.ReportMetric(float64(rts)/float64(b.N), "roundtrips/op")
	}
	b.Run("quiet", func(b *testing.B) { run(b, benchFiring, false) })
	b.Run("remind", func(b *testing.B) {
		n0 := out.enqueued.Load()
		run(b, first.Add(-2*24*time.Hour+9*time.Hour), true)
		b.ReportMetric(float64(out.enqueued.Load()-n0)/float64(b.N), "reminders/op")
	})
}
