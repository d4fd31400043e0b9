package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"cadrebot/apptest"
)

// TestLoadAgainstCadrebot points the whole service at the load tool's fake
// Bot API, the way an operator would, and checks the report.
func TestLoadAgainstCadrebot(t *testing.T) {
	ready := make(chan string, 1)
	o, err := parse([]string{"-listen", "127.0.0.1:0", "-groups", "3", "-users", "4", "-settle", "300ms", "-timeout", "60s"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	o.ready = ready
	type out struct {
		res *result
		err error
	}
	done := make(chan out, 1)
	var log bytes.Buffer
	go func() {
		res, err := load(context.Background(), o, &log)
		done <- out{res, err}
	}()
	var url string
	select {
	case url = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("cadreload did not listen")
	}
	e := apptest.Start(t, apptest.WithEnv("TELEGRAM_API_URL", url))
	r := <-done
	if r.err != nil {
		t.Fatalf("load: %v\n%s", r.err, log.String())
	}
	e.Stop()
	if r.res.Updates != 12 || r.res.UpdatesPerSecond <= 0 || r.res.P99ms < r.res.P50ms || r.res.TooManyRequests != 0 {
		t.Errorf("result = %+v; want 12 answered check-ins, sane latencies, no 429", r.res)
	}
	// Every check-in was handed out before it was answered, and the bot's
	// own share cannot exceed the whole.
	if r.res.HandOutP50ms <= 0 || r.res.HandOutP99ms > r.res.MaxMs || r.res.HandOutP99ms < r.res.HandOutP50ms {
		t.Errorf("hand-out latencies p50 %.2f, p99 %.2f (max from injection %.2f): not measured, or longer than the whole",
			r.res.HandOutP50ms, r.res.HandOutP99ms, r.res.MaxMs)
	}
	var b bytes.Buffer
	r.res.print(&b)
	if !strings.Contains(b.String(), "updates/s") {
		t.Errorf("report lacks updates/s:\n%s", b.String())
	}
}

func TestParseRejectsNonsense(t *testing.T) {
	if _, err := parse([]string{"-groups", "0"}, &bytes.Buffer{}); err == nil {
		t.Error("parse(-groups 0) succeeded")
	}
}
