package handlers

import (
	"slices"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/config"
	"cadrebot/i18n"
)

func testProblems(t *testing.T) *Problems {
	t.Helper()
	texts, err := i18n.Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	return &Problems{Texts: texts, Cfg: &config.File{Language: "zh",
		Categories:  []config.Category{{ID: "parking", Department: "traffic"}, {ID: "sanitation", Department: "env"}},
		Departments: []config.Department{{ID: "traffic", Parent: "county"}, {ID: "env", Parent: "county"}, {ID: "county"}}}}
}

// The bot's own record decides what a press may do, whatever data the
// client sends and whatever the message showed.
func TestFormOffers(t *testing.T) {
	h := testProblems(t)
	f := &reportForm{Step: stepSum, Offered: []int64{2, 5}}
	tests := []struct {
		op, arg string
		want    bool
	}{
		{"mt", "2", true}, {"mt", "5", true}, {"mt", "1", false}, {"mt", "#2", true}, {"mt", "x", false},
		{"c", "parking", true}, {"c", "nosuch", false}, {"e", stepCat, true}, {"e", "other", false},
		{"ok", "", true}, {"ok", "1", false}, {"zz", "", false}, {"x", "", true},
	}
	for _, tt := range tests {
		if got := h.formOffers(f, tt.op, tt.arg); got != tt.want {
			t.Errorf("formOffers(%q, %q) = %v, want %v", tt.op, tt.arg, got, tt.want)
		}
	}
	h.Cfg.TriageDepartment = "county"
	if h.formOffers(f, "e", stepCat) {
		t.Error("with triage, Edit offers the category of a new report")
	}
}

func TestProblemOffers(t *testing.T) {
	h := testProblems(t)
	p := &cadrebot.Problem{ID: 7, Version: 3, Status: cadrebot.StatusNew, Dept: "traffic", Category: "parking",
		CardDepts: map[int64]string{-1002: "traffic", -1003: "county"}}
	card := h.offers(p, -1002, true)
	for _, want := range []string{"p:acc:7:3", "p:res:7:3", "p:ret:7:3", "p:asg:7:3", "p:to:7:3:env", "p:back:7:3"} {
		if !slices.Contains(card, want) {
			t.Errorf("card offers %v, lacks %q", card, want)
		}
	}
	for _, not := range []string{"p:to:7:3:traffic", "p:cat:7:3:parking", "p:ok:7:3", "p:acc:7:2"} {
		if slices.Contains(card, not) {
			t.Errorf("card offers %q", not)
		}
	}
	if got := h.offers(p, -1009, true); len(got) != 0 {
		t.Errorf("a chat with no card of #7 is offered %v", got)
	}
	if got := h.offers(p, 0, false); len(got) != 0 {
		t.Errorf("a new problem asks the village %v", got)
	}
	p.Status = cadrebot.StatusResolved
	// The three ratings, and the two answers of messages sent before them.
	if got := h.offers(p, 0, false); !slices.Equal(got, []string{"p:rate:7:3:s", "p:rate:7:3:b", "p:rate:7:3:u", "p:ok:7:3", "p:no:7:3"}) {
		t.Errorf("a resolved problem asks the village %v", got)
	}

	// Joint handling: the lead's card offers the supporter picker and its
	// ➕/➖; a supporter's card only its note.
	p.Status, p.Support = cadrebot.StatusAccepted, []string{"env"}
	p.CardDepts[-1004] = "env"
	card = h.offers(p, -1002, true)
	for _, want := range []string{"p:sp:7:3", "p:sr:7:3:env", "p:sa:7:3:county"} {
		if !slices.Contains(card, want) {
			t.Errorf("lead card offers %v, lacks %q", card, want)
		}
	}
	if slices.Contains(card, "p:sa:7:3:traffic") || slices.Contains(card, "p:nt:7:3") {
		t.Errorf("lead card offers itself as supporter or a note: %v", card)
	}
	if got := h.offers(p, -1004, true); !slices.Equal(got, []string{"p:nt:7:3"}) {
		t.Errorf("supporter card offers %v, want only its note", got)
	}
}

func TestOfferedAndAnswers(t *testing.T) {
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "a", CallbackData: "p:acc:1:1"}}}}
	u := func(data string, m *models.Message) *Update {
		return &Update{Callback: &models.CallbackQuery{Data: data, Message: models.MaybeInaccessibleMessage{Message: m}}}
	}
	if !offered(u("p:acc:1:1", &models.Message{ReplyMarkup: kb})) {
		t.Error("a button of the message was not offered")
	}
	for _, c := range []*Update{u("p:acc:1:2", &models.Message{ReplyMarkup: kb}), u("p:acc:1:1", &models.Message{}), u("p:acc:1:1", nil)} {
		if offered(c) {
			t.Errorf("offered(%q) on %+v", c.Callback.Data, c.Callback.Message.Message)
		}
	}
	// Too old for Telegram to include: the bot's record decides alone.
	old := u("p:acc:1:2", nil)
	old.Callback.Message.InaccessibleMessage = &models.InaccessibleMessage{MessageID: 5}
	if !offered(old) {
		t.Error("a message without content was judged by its (absent) keyboard")
	}
	if !answers(nil, 0) || !answers([]int{4}, 4) || answers([]int{4}, 5) || answers(nil, 5) {
		t.Error("answers: a plain message or a reply to the form's prompt is an answer, a reply to another bot message is not")
	}
}
