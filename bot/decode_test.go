package bot

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/go-telegram/bot/models"
)

// Updates of each shape the bot handles, as Telegram sends them.
var decodeSamples = map[string]string{
	"command":                   `{"update_id":123456,"message":{"message_id":42,"from":{"id":8000001,"is_bot":false,"first_name":"cadre","language_code":"zh-hans"},"chat":{"id":-3000001,"title":"village 1","type":"supergroup"},"date":1765100000,"text":"/report 工业园区旁没有划定停车位，车辆进出有安全隐患","entities":[{"offset":0,"length":7,"type":"bot_command"}]}}`,
	"button":                    `{"update_id":123457,"callback_query":{"id":"987654321","from":{"id":8000001,"is_bot":false,"first_name":"cadre"},"chat_instance":"-1234","data":"rp:cat:3:abcdef","message":{"message_id":43,"from":{"id":1,"is_bot":true,"first_name":"cadrebot","username":"cadrebot"},"chat":{"id":-3000001,"title":"village 1","type":"supergroup"},"date":1765100000,"text":"请选择问题类别：工业园区旁没有划定停车位","reply_markup":{"inline_keyboard":[[{"text":"停车与交通","callback_data":"rp:cat:1:abcdef"},{"text":"环境卫生","callback_data":"rp:cat:2:abcdef"}],[{"text":"取消","callback_data":"rp:x:abcdef"}]]}}}}`,
	"button on an old message":  `{"update_id":123458,"callback_query":{"id":"5","from":{"id":8000001,"is_bot":false,"first_name":"cadre"},"chat_instance":"-1234","data":"p:acc:9","message":{"chat":{"id":-1002,"type":"supergroup","title":"交通运输局"},"message_id":7,"date":0}}}`,
	"inline button, no message": `{"update_id":123459,"callback_query":{"id":"6","from":{"id":8000001,"is_bot":false,"first_name":"cadre"},"chat_instance":"-1","inline_message_id":"AAA","data":"x"}}`,
	"topic photo reply":         `{"update_id":123460,"message":{"message_id":50,"message_thread_id":11,"is_topic_message":true,"from":{"id":8000002,"is_bot":false,"first_name":"张三"},"chat":{"id":-1003,"title":"村","type":"supergroup","is_forum":true},"date":1765100001,"caption":"现场照片 <b>&amp;</b>","photo":[{"file_id":"f1","file_unique_id":"u1","width":90,"height":60,"file_size":1200}],"reply_to_message":{"message_id":49,"from":{"id":1,"is_bot":true,"first_name":"cadrebot"},"chat":{"id":-1003,"type":"supergroup"},"date":1765100000,"text":"请发送照片"}}}`,
	"anonymous admin":           `{"update_id":123461,"message":{"message_id":51,"from":{"id":1087968824,"is_bot":true,"first_name":"Group","username":"GroupAnonymousBot"},"sender_chat":{"id":-3000001,"title":"village 1","type":"supergroup"},"chat":{"id":-3000001,"title":"village 1","type":"supergroup"},"date":1765100002,"text":"/setup 村1"}}`,
	"migration":                 `{"update_id":123462,"message":{"message_id":52,"from":{"id":8000001,"is_bot":false,"first_name":"cadre"},"chat":{"id":-3001,"title":"village","type":"group"},"date":1765100003,"migrate_to_chat_id":-1003001}}`,
	"pinned":                    `{"update_id":123463,"message":{"message_id":53,"from":{"id":8000001,"is_bot":false,"first_name":"cadre"},"chat":{"id":-3001,"type":"supergroup"},"date":1765100004,"pinned_message":{"message_id":20,"chat":{"id":-3001,"type":"supergroup"},"date":1765000000,"text":"board"}}}`,
	"added to a group":          `{"update_id":123464,"my_chat_member":{"chat":{"id":-3002,"title":"新村","type":"group"},"from":{"id":7000001,"is_bot":false,"first_name":"admin"},"date":1765100005,"old_chat_member":{"status":"left","user":{"id":1,"is_bot":true,"first_name":"cadrebot"}},"new_chat_member":{"status":"member","user":{"id":1,"is_bot":true,"first_name":"cadrebot"}}}}`,
	"edited":                    `{"update_id":123465,"edited_message":{"message_id":54,"from":{"id":8000001,"is_bot":false,"first_name":"cadre"},"chat":{"id":-3001,"type":"supergroup"},"date":1765100006,"edit_date":1765100010,"text":"打卡 \u2028\ud83d\ude00"}}`,
	"private":                   `{"update_id":123466,"message":{"message_id":1,"from":{"id":8000001,"is_bot":false,"first_name":"cadre","language_code":"en"},"chat":{"id":8000001,"type":"private","first_name":"cadre"},"date":1765100007,"text":"/start"}}`,
}

// DecodeUpdate must read every update exactly as encoding/json does.
func TestDecodeUpdateMatchesEncodingJSON(t *testing.T) {
	for name, raw := range decodeSamples {
		t.Run(name, func(t *testing.T) {
			var want, got models.Update
			if err := json.Unmarshal([]byte(raw), &want); err != nil {
				t.Fatal(err)
			}
			if err := DecodeUpdate([]byte(raw), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("decoded differently:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeUpdateRejectsWhatEncodingJSONRejects(t *testing.T) {
	for _, raw := range []string{``, `{`, `[]`, `{"update_id":"x"}`, `{"update_id":1,"callback_query":{"message":5}}`, `{"update_id":1} trailing`} {
		var std, got models.Update
		if json.Unmarshal([]byte(raw), &std) == nil {
			t.Fatalf("encoding/json accepts %q: not a rejection sample", raw)
		}
		if err := DecodeUpdate([]byte(raw), &got); err == nil {
			t.Errorf("DecodeUpdate accepted %q", raw)
		}
	}
}

// FuzzDecodeUpdate: whatever encoding/json reads, DecodeUpdate reads the
// same. `go test` runs the samples; `go test -fuzz FuzzDecodeUpdate
// ./bot/` explores.
func FuzzDecodeUpdate(f *testing.F) {
	for _, raw := range decodeSamples {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want, got models.Update
		if json.Unmarshal(raw, &want) != nil {
			return
		}
		if err := DecodeUpdate(raw, &got); err != nil {
			t.Fatalf("encoding/json reads %q, DecodeUpdate fails: %v", raw, err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%q decoded differently:\n got %+v\nwant %+v", raw, got, want)
		}
	})
}

// BenchmarkDecode compares encoding/json with DecodeUpdate for the
// updates of a report, and for an API answer read for its message id.
//
//	go test -run '^$' -bench Decode -benchmem ./bot/
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"command", "button"} {
		raw := []byte(decodeSamples[name])
		b.Run(name+"/encoding-json", func(b *testing.B) {
			for b.Loop() {
				var u models.Update
				if err := json.Unmarshal(raw, &u); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/DecodeUpdate", func(b *testing.B) {
			for b.Loop() {
				var u models.Update
				if err := DecodeUpdate(raw, &u); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	answer := []byte(`{"ok":true,"result":{"message_id":44,"from":{"id":1,"is_bot":true,"first_name":"cadrebot","username":"cadrebot"},"chat":{"id":-1002,"title":"交通运输局","type":"supergroup"},"date":1765100000,"text":"新问题 #123 工业园区旁没有划定停车位","reply_markup":{"inline_keyboard":[[{"text":"受理","callback_data":"p:acc:123"},{"text":"退回","callback_data":"p:ret:123"}]]}}}`)
	b.Run("answer/encoding-json", func(b *testing.B) {
		for b.Loop() {
			var m struct {
				ID int `json:"message_id"`
			}
			if err := json.Unmarshal(answer, &apiResponse{Result: &m}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("answer/decodeAnswer", func(b *testing.B) {
		for b.Loop() {
			var m struct {
				ID int `json:"message_id"`
			}
			if err := decodeAnswer(answer, &apiResponse{Result: &m}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
