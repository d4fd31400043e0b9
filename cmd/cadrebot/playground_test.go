package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"cadrebot/apptest"
)

// With no token and no Redis configured, the real entry point serves the
// playground, says where, and exits 0 when stopped.
func TestNoTokenStartsPlayground(t *testing.T) {
	env := map[string]string{"CADREBOT_HTTP_ADDR": "127.0.0.1:0"}
	var stdout, stderr apptest.LogBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"cadrebot"}, func(k string) string { return env[k] }, &stdout, &stderr)
	}()

	open := regexp.MustCompile(`Open\s+(http://127\.0\.0\.1:\d+)`)
	var url string
	deadline := time.Now().Add(30 * time.Second)
	for url == "" {
		if m := open.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("run exited with %d before serving:\n%s\n%s", code, stdout.String(), stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no playground URL printed:\n%s\n%s", stdout.String(), stderr.String())
		}
	}
	if out := stdout.String(); !strings.Contains(out, "in memory and gone at exit") {
		t.Errorf("the banner does not say the data is in memory:\n%s", out)
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / = %d", resp.StatusCode)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit status %d, want 0\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the playground did not stop")
	}
}
