package handlers

import (
	"cadrebot/send"
	"math"
	"strings"
	"testing"

	"cadrebot/i18n"
)

// Callback data must fit Telegram's 64 bytes at the extremes: the largest
// ids, versions and user ids, and 32-byte config ids (config's limit).
func TestCallbackDataFits(t *testing.T) {
	id32 := strings.Repeat("x", 32)
	big := int64(math.MaxInt64)
	for _, d := range []string{
		cbData("to", 9_999_999_999, 999_999, id32),
		rdData(1<<52, "abcdef", "c", id32),
		rdData(big, "abcdef", "mt", "9999999999"),
	} {
		if len(d) > 64 {
			t.Errorf("callback data %q is %d bytes, over 64", d, len(d))
		}
	}
	act, id, ver, arg, ok := parseCB(cbData("to", 12, 3, "traffic"))
	if !ok || act != "to" || id != 12 || ver != 3 || arg != "traffic" {
		t.Errorf("parseCB round trip = %q %d %d %q %v", act, id, ver, arg, ok)
	}
	user, nonce, op, arg, ok := parseRD(rdData(1001, "a1b2c3", "c", "parking"))
	if !ok || user != 1001 || nonce != "a1b2c3" || op != "c" || arg != "parking" {
		t.Errorf("parseRD round trip = %d %q %q %q %v", user, nonce, op, arg, ok)
	}
	for _, bad := range []string{"", "p", "p:acc", "p:acc:x:1", "p:acc:1:y", "p:acc:0:1", "p:acc:-5:1", "q:acc:1:1"} {
		if _, _, _, _, ok := parseCB(bad); ok {
			t.Errorf("parseCB(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "rd", "rd:zz:", "rd:!!:n:c", "p:1:n:c"} {
		if _, _, _, _, ok := parseRD(bad); ok {
			t.Errorf("parseRD(%q) accepted", bad)
		}
	}
}

func TestParseIDAndTags(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"12", 12, true}, {"#12", 12, true}, {" 7 ", 7, true}, {"0", 0, false}, {"-3", 0, false}, {"abc", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseID(tt.in)
		if got != tt.want && tt.ok || ok != tt.ok {
			t.Errorf("parseID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if rest, ok := cutReportTag("  #上报 路灯坏了"); !ok || rest != "路灯坏了" {
		t.Errorf("cutReportTag = %q, %v", rest, ok)
	}
	if _, ok := cutReportTag("上报 路灯坏了"); ok {
		t.Error("cutReportTag accepted text without the tag")
	}
	if got := i18n.Plain("<b>#1</b> &lt;x&gt; &amp; “y”"); got != "#1 <x> & “y”" {
		t.Errorf("i18n.Plain = %q", got)
	}
}

// A card's ref carries a stamp of what the card shows; refs queued by an
// older version have none and still parse, so the card is edited once out.
func TestCardRef(t *testing.T) {
	kb := [][]send.Button{{{Text: "📥 受理", Data: "acc:1:1"}}}
	r := cardRef(42, "traffic", "#42 停车", kb)
	id, dept, stamp, ok := parseCardRef(r)
	if !ok || id != 42 || dept != "traffic" || stamp != cardStamp("#42 停车", kb) {
		t.Errorf("parseCardRef(%q) = %d, %q, %q, %v", r, id, dept, stamp, ok)
	}
	if cardStamp("#42 停车", kb) == cardStamp("#42 停车 🙋", kb) ||
		cardStamp("#42 停车", kb) == cardStamp("#42 停车", [][]send.Button{{{Text: "📥 受理", Data: "acc:1:2"}}}) {
		t.Error("the stamp misses a change of text or buttons")
	}
	if id, dept, stamp, ok := parseCardRef("card:7:env"); !ok || id != 7 || dept != "env" || stamp != "" {
		t.Errorf("old ref = %d, %q, %q, %v", id, dept, stamp, ok)
	}
	if _, _, _, ok := parseCardRef("problem:7"); ok {
		t.Error("a problem ref parsed as a card's")
	}
}

// A press on a board whose id the outbox has not recorded yet is taken
// for the live board, unless it is one of the form's earlier messages.
func TestAdoptBoard(t *testing.T) {
	for _, tt := range []struct {
		board, pressed int
		earlier        []int
		want           int
	}{
		{0, 17, []int{9, 14}, 17}, // on its way: adopted
		{0, 14, []int{9, 14}, 0},  // an earlier message of the form
		{17, 20, nil, 17},         // recorded: left alone (the caller refuses 20)
		{0, 0, nil, 0},
	} {
		b := tt.board
		adoptBoard(&b, tt.earlier, tt.pressed)
		if b != tt.want {
			t.Errorf("adoptBoard(%d, %v, %d) = %d, want %d", tt.board, tt.earlier, tt.pressed, b, tt.want)
		}
	}
}
