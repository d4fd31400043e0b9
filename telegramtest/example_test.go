package telegramtest_test

import (
	"context"
	"fmt"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"cadrebot/telegramtest"
)

// A user sends a command, the bot under test replies, the test inspects the
// reply.
func Example() {
	srv := telegramtest.New().Start()
	defer srv.Close()

	b, _ := tgbot.New("1:TOKEN", tgbot.WithServerURL(srv.URL), tgbot.WithSkipGetMe(),
		tgbot.WithDefaultHandler(func(ctx context.Context, b *tgbot.Bot, u *models.Update) {
			if u.Message != nil {
				_, _ = b.SendMessage(ctx, &tgbot.SendMessageParams{
					ChatID: u.Message.Chat.ID, Text: "<b>收到</b> " + u.Message.Text, ParseMode: models.ParseModeHTML,
				})
			}
		}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Start(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	group := srv.Group(-100123, "Village cadres")
	srv.SendText(group, models.User{ID: 7, FirstName: "Li"}, "/report")

	if _, err := srv.WaitFor(5*time.Second, func(c telegramtest.Call) bool { return c.Method == "sendMessage" }); err != nil {
		fmt.Println(err)
		return
	}
	reply := srv.Sent(group.ID)[0]
	fmt.Println(reply.Text)
	fmt.Println(telegramtest.HTML(reply.Text, reply.Entities))
	// Output:
	// 收到 /report
	// <b>收到</b> /report
}
