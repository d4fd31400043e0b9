package playground

import (
	_ "embed"
	"slices"

	"github.com/go-telegram/bot/models"
)

// demoYAML is the deployment config the playground runs with: Chinese
// names, two villages, three departments. A user's CADREBOT_CONFIG is not
// used, because the seeded history and the page are built around these
// chats.
//
//go:embed demo.yaml
var demoYAML []byte

// Token is the bot token the app uses against the embedded fake Bot API.
// Its numeric part is the fake bot's user id.
const Token = "100000:playground-local-token"

// Person is a seeded user the visitor can act as.
type Person struct {
	Key  string // stable id used by the page
	Role string // shown in the user picker
	User models.User
	// Picker says whether the person is offered in the user picker;
	// the others only act in the seeded history.
	Picker bool
}

// The demo's people. Ids match the config: 9001 is a deployment admin.
var (
	Wang  = Person{Key: "wang", Role: "驻村指导员 · 谢家坞村（群管理员）", Picker: true, User: models.User{ID: 1001, FirstName: "王芳", LanguageCode: "zh"}}
	Li    = Person{Key: "li", Role: "驻村指导员 · 谢家坞村", Picker: true, User: models.User{ID: 1002, FirstName: "李强", LanguageCode: "zh"}}
	Zhao  = Person{Key: "zhao", Role: "交通运输局 · 问题处理人", Picker: true, User: models.User{ID: 2001, FirstName: "赵队长", LanguageCode: "zh"}}
	Chen  = Person{Key: "chen", Role: "县驻村办 · 部署管理员", Picker: true, User: models.User{ID: 9001, FirstName: "陈主任", LanguageCode: "zh"}}
	Zhang = Person{Key: "zhang", Role: "驻村指导员 · 东山村", User: models.User{ID: 1003, FirstName: "张伟", LanguageCode: "zh"}}
	Sun   = Person{Key: "sun", Role: "生态环境分局 · 问题处理人", User: models.User{ID: 2002, FirstName: "孙科长", LanguageCode: "zh"}}
)

// People lists everyone, picker entries first.
var People = []Person{Wang, Li, Zhao, Chen, Zhang, Sun}

// PersonByKey finds a person by Key.
func PersonByKey(key string) (Person, bool) {
	i := slices.IndexFunc(People, func(p Person) bool { return p.Key == key })
	if i < 0 {
		return Person{}, false
	}
	return People[i], true
}

// ChatInfo is a group shown on the page.
type ChatInfo struct {
	ID    int64
	Title string
	Short string // tab label
}

// The demo's groups; the ids are the ones in demo.yaml.
var (
	Xiejiawu    = ChatInfo{ID: -1001000000101, Title: "谢家坞村驻村工作群", Short: "谢家坞村"}
	Dongshan    = ChatInfo{ID: -1001000000102, Title: "东山村驻村工作群", Short: "东山村"}
	Traffic     = ChatInfo{ID: -1001000000201, Title: "交通运输局 · 问题处理群", Short: "交通运输局"}
	Environment = ChatInfo{ID: -1001000000202, Title: "生态环境分局 · 问题处理群", Short: "生态环境分局"}
	County      = ChatInfo{ID: -1001000000203, Title: "县驻村办 · 领导工作群", Short: "县驻村办"}
)

// Villages are the page's left column, Departments its middle one.
var (
	Villages    = []ChatInfo{Xiejiawu, Dongshan}
	Departments = []ChatInfo{Traffic, Environment, County}
)

// Place is a preset location the page can share.
type Place struct {
	Key, Label string
	Lat, Lon   float64
}

// Places: at each village (inside its radius in demo.yaml) and one in the
// county town, well outside every village's radius.
var (
	AtXiejiawu = Place{Key: "village", Label: "在村里", Lat: 29.9321, Lon: 120.6449}
	AtDongshan = Place{Key: "village", Label: "在村里", Lat: 29.8015, Lon: 120.6911}
	OffSite    = Place{Key: "away", Label: "在县城（不在村里）", Lat: 30.0004, Lon: 120.5802}
)

// placeFor returns where "share location" in chat puts the sender.
func placeFor(chat int64, key string) Place {
	if key == OffSite.Key {
		return OffSite
	}
	if chat == Dongshan.ID {
		return AtDongshan
	}
	return AtXiejiawu
}
