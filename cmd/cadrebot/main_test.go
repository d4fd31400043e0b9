package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadConfigExitsWithStatus2(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		field string
	}{
		{name: "malformed cron", yaml: "schedules: {weekly_digest: \"0 9 * *\"}\n", field: "schedules.weekly_digest"},
		{name: "unknown timezone", yaml: "timezone: Mars/Base\n", field: "timezone"},
		{name: "category with undefined department", yaml: "categories:\n  - {id: parking, name: p, department: nosuch}\n", field: "categories[0].department"},
		{name: "parent cycle", yaml: "departments:\n  - {id: a, name: A, parent: b}\n  - {id: b, name: B, parent: a}\n", field: "parent"},
		{name: "malformed yaml", yaml: "admins: [1, 2\nlanguage: zh\n", field: "cadrebot.yaml"},
		{name: "unknown field", yaml: "timezon: Asia/Shanghai\n", field: "timezon"},
		{name: "bad language", env: map[string]string{"CADREBOT_LANG": "fr"}, field: "CADREBOT_LANG"},
		{name: "bad redis url", env: map[string]string{"REDIS_URL": "http://x"}, field: "REDIS_URL"},
		{name: "missing file", env: map[string]string{"CADREBOT_CONFIG": "/nonexistent/cadrebot.yaml"}, field: "CADREBOT_CONFIG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"TELEGRAM_BOT_TOKEN": "1:x"}
			if tt.yaml != "" {
				p := filepath.Join(t.TempDir(), "cadrebot.yaml")
				if err := os.WriteFile(p, []byte(tt.yaml), 0o600); err != nil {
					t.Fatal(err)
				}
				env["CADREBOT_CONFIG"] = p
			}
			for k, v := range tt.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"cadrebot"}, func(k string) string { return env[k] }, &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit status %d, want 2 (stderr %q)", code, stderr.String())
			}
			out := strings.TrimRight(stderr.String(), "\n")
			if strings.Contains(out, "\n") || !strings.Contains(out, tt.field) || !strings.HasPrefix(out, "config: ") {
				t.Errorf("stderr = %q, want one line naming %q", out, tt.field)
			}
		})
	}
}
