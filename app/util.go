package app

import "strings"

// redact removes the bot token from text bound for a log.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "***")
}
