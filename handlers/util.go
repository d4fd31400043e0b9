package handlers

import (
	"strconv"

	"cadrebot/send"
)

func itoa(n int) string { return strconv.Itoa(n) }

func sendText(chat int64, text string) send.Message { return send.Message{ChatID: chat, Text: text} }
