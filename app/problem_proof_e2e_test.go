package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

// album returns the bot's photo messages in chat that belong to one media
// group, the latest group first found from the end.
func (p *prEnv) album(chat int64) []*models.Message {
	ms := p.TG.Sent(chat)
	for i := len(ms) - 1; i >= 0; i-- {
		if g := ms[i].MediaGroupID; g != "" && len(ms[i].Photo) > 0 {
			var out []*models.Message
			for _, m := range ms {
				if m.MediaGroupID == g {
					out = append(out, m)
				}
			}
			return out
		}
	}
	return nil
}

// A resolution sent as an album in answer to the Resolve button: the
// village sees all the photos (one album, replying to the report) before
// the notice that asks for a rating, and /problem N shows the report's
// photo before and the resolution's album after. A single photo captioned
// /resolve works too, and needs no wait.
func TestResolutionWithAlbum(t *testing.T) {
	p := startProblems(t)
	rep := p.TG.SendPhoto(p.v1, apptest.Wang, nil, "/report 园区门口路灯坏了，晚上一片黑")
	p.press(p.v1, apptest.Wang, p.last(prVillage, "请选择问题分类"), "停车与交通")
	p.last(prVillage, "已登记 #1")
	card := p.card(prTraffic, 1)

	p.press(p.traffic, apptest.Handler, card, "✅ 办结")
	ask := p.last(prTraffic, "请直接回复 #1 的办结说明")
	album := []telegramtest.MsgOpt{telegramtest.ReplyTo(ask.ID), telegramtest.MediaGroup("fix-1")}
	p.TG.SendPhoto(p.traffic, apptest.Handler, nil, "已更换 3 盏路灯并加装感应开关", album...)
	p.TG.SendPhoto(p.traffic, apptest.Handler, nil, "", album...)
	p.TG.SendPhoto(p.traffic, apptest.Handler, nil, "", album...)
	p.last(prTraffic, "#1 已办结")
	p.Wait("the whole album on the resolution", func() bool { return len(p.problem(1).ResolutionPhotos) == 3 })
	// The first photo's update stays open until its notice is out (its
	// background work), so Drain would wait for the clock: the notice
	// waits on the fake clock, which has not moved.
	if p.count(prVillage, "已由 交通运输局 办结") != 0 {
		t.Fatal("the notice went out before the album was in")
	}
	p.Clock.Advance(3 * time.Second)
	notice := p.last(prVillage, "已由 交通运输局 办结")
	if !strings.Contains(notice.Text, "📷 整改后照片 3 张") || buttonData(notice, "😊 满意") == "" {
		t.Errorf("notice %q %v", notice.Text, buttons(notice))
	}
	photos := p.album(prVillage)
	if len(photos) != 3 || !strings.Contains(photos[0].Caption, "#1 整改后（办结照片 3 张）") {
		t.Fatalf("village album: %d photos, caption %q", len(photos), photos[0].Caption)
	}
	if r := photos[0].ReplyToMessage; r == nil || r.ID != rep.ID {
		t.Errorf("the album does not reply to the report: %+v", r)
	}
	if photos[2].ID > notice.ID {
		t.Errorf("the photos came after the notice")
	}
	if c := p.card(prTraffic, 1); !strings.Contains(c.Text, "📷 整改后照片 3 张") {
		t.Errorf("card %q", c.Text)
	}

	// Before and after, in the village.
	p.TG.SendText(p.v1, apptest.Zhang, "/problem 1")
	p.last(prVillage, "处理记录")
	before := p.last(prVillage, "#1 整改前（上报照片 1 张）")
	if len(before.Photo) == 0 || before.MediaGroupID != "" {
		t.Errorf("before: one photo expected, got %+v", before)
	}
	// The album goes out after the "before" photo, as a call of its own.
	var after []*models.Message
	p.Wait("the resolution's album again", func() bool {
		after = p.album(prVillage)
		return len(after) > 0 && after[0].ID != photos[0].ID
	})
	if len(after) != 3 || !strings.Contains(after[0].Caption, "整改后") {
		t.Errorf("after: %d photos, caption %q", len(after), after[0].Caption)
	}

	// One photo captioned /resolve: at once, no album to wait for.
	_, n := p.report(p.v1, apptest.Zhang, "村口减速带松动", "停车与交通")
	p.TG.SendPhoto(p.traffic, apptest.Handler, nil, "/resolve 2 已重新固定减速带")
	p.last(prVillage, "#2 已由 交通运输局 办结")
	if pr := p.problem(n); len(pr.ResolutionPhotos) != 1 || pr.Note != "已重新固定减速带" {
		t.Errorf("#2 resolution %q %v", pr.Note, pr.ResolutionPhotos)
	}
	single := p.last(prVillage, "#2 整改后（办结照片 1 张）")
	if len(single.Photo) == 0 {
		t.Errorf("#2's photo is no photo: %+v", single)
	}
}
