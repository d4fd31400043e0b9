// Package units is the administrative hierarchy a deployment covers:
// city (市) → county or district (县、区) → town or street (乡镇、街道) →
// village (村), with the deployment itself at the root. Every level above
// villages is optional: the config lists the units it has (config.Unit),
// and a town that only /setup names becomes a unit of its own.
//
// A Tree answers the questions digests, escalations, /stats, /export and
// the leaders' dashboard ask: which units and villages lie below a unit
// (Children, Villages), which units lie above a village (Above, Town),
// and which unit a leaders' group leads (Leading). It is built per use
// from the config, the groups (their town) and the /leaders bindings,
// and is read-only once built. The figures of a unit are computed by the
// digest package (digest.Data.Unit) with the same code as every other
// figure.
package units

import (
	"slices"
	"strings"

	"cadrebot"
	"cadrebot/config"
)

// Level is a unit's place in the hierarchy, top down.
type Level int

// The levels. Root is the deployment as a whole, whose leaders' group is
// the county chat (digest_chat_id).
const (
	Root Level = iota
	City
	County
	Town
)

// levelOf maps a config level to a Level.
func levelOf(s string) Level {
	switch s {
	case config.LevelCity:
		return City
	case config.LevelCounty:
		return County
	}
	return Town
}

// String is the level's config name ("" for the root).
func (l Level) String() string {
	switch l {
	case City:
		return config.LevelCity
	case County:
		return config.LevelCounty
	case Town:
		return config.LevelTown
	}
	return ""
}

// ImplicitPrefix starts the id of a town that no config unit is and that
// /setup (or a config village) named: "t:兰亭街道". Config ids cannot
// contain ':', so the two never collide.
const ImplicitPrefix = "t:"

// Unit is a node of the tree above villages.
type Unit struct {
	ID     string // "" for the root
	Name   string // "" for the root: reports name it in their language
	NameEn string
	Level  Level
	Parent string // "" for units at the top
	// Chat is the unit's leaders' group: /leaders, else config chat_id
	// (followed to its supergroup); 0 when it has none. The root's is the
	// county chat.
	Chat int64
	// Implicit is set for a town only /setup (or a config village) named.
	Implicit bool
}

// Label is the unit's name in lang.
func (u *Unit) Label(lang string) string {
	if lang == "en" && u.NameEn != "" {
		return u.NameEn
	}
	return u.Name
}

// Village is a village group placed in the tree.
type Village struct {
	Chat int64
	Name string
	Unit string // the unit directly above; "" for the root
}

// Tree is the hierarchy of one deployment.
type Tree struct {
	root     Unit
	units    map[string]*Unit
	order    []string            // config order, then implicit towns by name
	children map[string][]string // unit id ("" root) -> units directly below, in order
	villages map[string][]Village
	above    map[int64]string // village chat -> unit id
	leading  map[int64]string // leaders' chat -> unit id
	byName   map[string][]string
	// def is where villages and implicit towns without a place go: the
	// only top unit when the config has exactly one, else the root.
	def string
}

// New builds the tree of the config's units. bound holds the /leaders
// bindings (unit id -> chat), which win over config chat ids; moves
// follows config chat ids to their supergroups. Villages are added with
// AddVillage.
func New(cfg *config.File, bound map[string]int64, moves cadrebot.ChatMoves) *Tree {
	t := &Tree{units: map[string]*Unit{}, children: map[string][]string{}, villages: map[string][]Village{},
		above: map[int64]string{}, leading: map[int64]string{}, byName: map[string][]string{}}
	t.root = Unit{Level: Root, Chat: moves.Chat(cfg.DigestChatID)}
	var tops []string
	for _, cu := range cfg.Units {
		u := &Unit{ID: cu.ID, Name: cu.Name, NameEn: cu.NameEn, Level: levelOf(cu.Level), Parent: cu.Parent, Chat: moves.Chat(cu.ChatID)}
		t.add(u)
		if u.Parent == "" {
			tops = append(tops, u.ID)
		}
	}
	if len(tops) == 1 {
		t.def = tops[0]
	}
	for id, chat := range bound {
		if u := t.units[id]; u != nil && chat != 0 {
			u.Chat = chat
		} else if strings.HasPrefix(id, ImplicitPrefix) && chat != 0 {
			t.implicit(strings.TrimPrefix(id, ImplicitPrefix)).Chat = chat
		}
	}
	for _, u := range t.units {
		if u.Chat != 0 {
			t.leading[u.Chat] = u.ID
		}
	}
	return t
}

func (t *Tree) add(u *Unit) {
	t.units[u.ID] = u
	t.order = append(t.order, u.ID)
	t.byName[u.Name] = append(t.byName[u.Name], u.ID)
	t.children[u.Parent] = append(t.children[u.Parent], u.ID)
}

// implicit returns the town named name that no config unit is, making it
// under the default place when it is new.
func (t *Tree) implicit(name string) *Unit {
	id := ImplicitPrefix + name
	if u := t.units[id]; u != nil {
		return u
	}
	u := &Unit{ID: id, Name: name, NameEn: name, Level: Town, Parent: t.def, Implicit: true}
	t.add(u)
	return u
}

// Resolve finds the unit a town names: a unit's id, else the one unit of
// that name. ok is false when several units have the name (candidates
// lists their ids) or none does (candidates is empty: the name makes an
// implicit town).
func (t *Tree) Resolve(town string) (id string, ok bool, candidates []string) {
	town = strings.TrimSpace(town)
	if u := t.units[town]; u != nil && town != "" {
		return u.ID, true, nil
	}
	ids := t.byName[town]
	if len(ids) == 1 {
		return ids[0], true, nil
	}
	return "", false, slices.Clone(ids)
}

// Place is where a village of town goes: the unit town resolves to, an
// implicit town of that name, or the default place for no town (or an
// ambiguous name).
func (t *Tree) Place(town string) string {
	town = strings.TrimSpace(town)
	if town == "" {
		return t.def
	}
	id, ok, cands := t.Resolve(town)
	switch {
	case ok:
		return id
	case len(cands) > 0:
		return t.def
	}
	return t.implicit(town).ID
}

// AddVillage places a village group under the unit its town names.
func (t *Tree) AddVillage(chat int64, name, town string) {
	if _, dup := t.above[chat]; dup {
		return
	}
	id := t.Place(town)
	t.above[chat] = id
	t.villages[id] = append(t.villages[id], Village{Chat: chat, Name: name, Unit: id})
}

// Root is the deployment as a whole.
func (t *Tree) Root() *Unit { return &t.root }

// Unit returns the unit with id ("" is the root), or nil.
func (t *Tree) Unit(id string) *Unit {
	if id == "" {
		return &t.root
	}
	return t.units[id]
}

// Units lists every unit but the root, in config order, implicit towns
// last.
func (t *Tree) Units() []*Unit {
	out := make([]*Unit, 0, len(t.order))
	for _, id := range t.order {
		out = append(out, t.units[id])
	}
	return out
}

// Children lists the units directly below id, in order.
func (t *Tree) Children(id string) []*Unit {
	out := make([]*Unit, 0, len(t.children[id]))
	for _, c := range t.children[id] {
		out = append(out, t.units[c])
	}
	return out
}

// DirectVillages lists the villages directly below id, by name.
func (t *Tree) DirectVillages(id string) []Village {
	out := slices.Clone(t.villages[id])
	slices.SortFunc(out, func(a, b Village) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Villages lists every village of id's subtree: its own, then each child
// unit's, depth first.
func (t *Tree) Villages(id string) []Village {
	var out []Village
	var walk func(id string)
	walk = func(id string) {
		out = append(out, t.DirectVillages(id)...)
		for _, c := range t.children[id] {
			walk(c)
		}
	}
	walk(id)
	return out
}

// Walk visits id's subtree depth first, units before what is below them,
// with each unit's depth below id (id itself is 0).
func (t *Tree) Walk(id string, fn func(u *Unit, depth int)) {
	var walk func(id string, depth int)
	walk = func(id string, depth int) {
		fn(t.Unit(id), depth)
		for _, c := range t.children[id] {
			walk(c, depth+1)
		}
	}
	walk(id, 0)
}

// Above lists the units above a village, nearest first, without the root.
func (t *Tree) Above(chat int64) []*Unit {
	var out []*Unit
	id, ok := t.above[chat]
	for ok && id != "" {
		u := t.units[id]
		if u == nil {
			break
		}
		out = append(out, u)
		id = u.Parent
	}
	return out
}

// Town is the town or street a village belongs to (the nearest unit of
// level Town above it), or nil.
func (t *Tree) Town(chat int64) *Unit {
	for _, u := range t.Above(chat) {
		if u.Level == Town {
			return u
		}
	}
	return nil
}

// Contains reports whether village chat is in id's subtree.
func (t *Tree) Contains(id string, chat int64) bool {
	if _, ok := t.above[chat]; !ok {
		return false
	}
	if id == "" {
		return true
	}
	for _, u := range t.Above(chat) {
		if u.ID == id {
			return true
		}
	}
	return false
}

// Leading returns the unit whose leaders' group chat is, or nil. The
// root is not returned: the county chat is the deployment's.
func (t *Tree) Leading(chat int64) *Unit {
	if chat == 0 {
		return nil
	}
	if id, ok := t.leading[chat]; ok {
		return t.units[id]
	}
	return nil
}

// Find returns the units whose id or name is s: what /leaders and /setup
// accept.
func (t *Tree) Find(s string) []*Unit {
	s = strings.TrimSpace(s)
	if u := t.units[s]; u != nil {
		return []*Unit{u}
	}
	var out []*Unit
	for _, id := range t.byName[s] {
		out = append(out, t.units[id])
	}
	return out
}
