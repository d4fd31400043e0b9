package units

import (
	"slices"
	"testing"

	"cadrebot"
	"cadrebot/config"
)

func names(us []*Unit) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Name)
	}
	return out
}

func villageNames(vs []Village) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

// The tree of the issue: 绍兴市 → 柯桥区 → 兰亭街道 → 谢家坞村, with a
// second county whose towns only /setup names.
func sample() *Tree {
	cfg := &config.File{DigestChatID: -9, Units: []config.Unit{
		{ID: "shaoxing", Name: "绍兴市", Level: config.LevelCity, ChatID: -100},
		{ID: "keqiao", Name: "柯桥区", NameEn: "Keqiao", Level: config.LevelCounty, Parent: "shaoxing", ChatID: -200},
		{ID: "lanting", Name: "兰亭街道", Level: config.LevelTown, Parent: "keqiao", ChatID: -300},
		{ID: "pingshui", Name: "平水镇", Level: config.LevelTown, Parent: "keqiao"},
		{ID: "shangyu", Name: "上虞区", Level: config.LevelCounty, Parent: "shaoxing"},
	}}
	t := New(cfg, map[string]int64{"pingshui": -401, "t:东关街道": -500}, cadrebot.ChatMoves{-300: -301})
	t.AddVillage(-1, "谢家坞村", "兰亭街道")
	t.AddVillage(-2, "花街村", "lanting")
	t.AddVillage(-3, "平水村", "平水镇")
	t.AddVillage(-4, "东关村", "东关街道") // no such unit: an implicit town
	t.AddVillage(-5, "无名村", "")
	return t
}

func TestTree(t *testing.T) {
	tr := sample()
	if got := names(tr.Above(-1)); !slices.Equal(got, []string{"兰亭街道", "柯桥区", "绍兴市"}) {
		t.Errorf("Above(谢家坞村) = %v", got)
	}
	// The only top unit takes what has no place: implicit towns and
	// villages without a town.
	if got := names(tr.Above(-4)); !slices.Equal(got, []string{"东关街道", "绍兴市"}) {
		t.Errorf("Above(东关村) = %v", got)
	}
	if got := names(tr.Above(-5)); !slices.Equal(got, []string{"绍兴市"}) {
		t.Errorf("Above(无名村) = %v", got)
	}
	if got := villageNames(tr.Villages("keqiao")); !slices.Equal(got, []string{"花街村", "谢家坞村", "平水村"}) {
		t.Errorf("Villages(keqiao) = %v", got)
	}
	if got := len(tr.Villages("")); got != 5 {
		t.Errorf("Villages(root) = %d, want 5", got)
	}
	if got := names(tr.Children("shaoxing")); !slices.Equal(got, []string{"柯桥区", "上虞区", "东关街道"}) {
		t.Errorf("Children(shaoxing) = %v", got)
	}
	// Leaders' groups: config (followed to its supergroup), /leaders over
	// config, /leaders of an implicit town.
	for chat, want := range map[int64]string{-301: "lanting", -401: "pingshui", -500: "t:东关街道", -200: "keqiao"} {
		if u := tr.Leading(chat); u == nil || u.ID != want {
			t.Errorf("Leading(%d) = %+v, want %s", chat, u, want)
		}
	}
	if tr.Leading(-300) != nil || tr.Leading(-9) != nil {
		t.Errorf("an old chat id, or the county chat, leads a unit")
	}
	if tr.Root().Chat != -9 {
		t.Errorf("root chat = %d", tr.Root().Chat)
	}
	if tr.Town(-1).Name != "兰亭街道" || tr.Town(-5) != nil {
		t.Errorf("Town = %+v, %+v", tr.Town(-1), tr.Town(-5))
	}
	if !tr.Contains("keqiao", -3) || tr.Contains("lanting", -3) || !tr.Contains("", -4) {
		t.Errorf("Contains is wrong")
	}
	var walked []string
	tr.Walk("keqiao", func(u *Unit, depth int) { walked = append(walked, u.Name+string(rune('0'+depth))) })
	if !slices.Equal(walked, []string{"柯桥区0", "兰亭街道1", "平水镇1"}) {
		t.Errorf("Walk = %v", walked)
	}
}

func TestResolveAmbiguous(t *testing.T) {
	cfg := &config.File{Units: []config.Unit{
		{ID: "a", Name: "城关镇", Level: config.LevelTown},
		{ID: "b", Name: "城关镇", Level: config.LevelTown},
	}}
	tr := New(cfg, nil, nil)
	if _, ok, cands := tr.Resolve("城关镇"); ok || !slices.Equal(cands, []string{"a", "b"}) {
		t.Errorf("Resolve(城关镇) = %v %v, want ambiguous a, b", ok, cands)
	}
	if id, ok, _ := tr.Resolve("b"); !ok || id != "b" {
		t.Errorf("Resolve(b) = %q %v", id, ok)
	}
	// Two top units: no default place, villages without a town go to the
	// root.
	tr.AddVillage(-1, "x村", "")
	if len(tr.Above(-1)) != 0 || len(tr.DirectVillages("")) != 1 {
		t.Errorf("a village without a town is not at the root")
	}
}
