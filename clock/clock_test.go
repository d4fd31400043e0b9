package clock

import (
	"testing"
	"time"
)

func TestFakeAfter(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	f := NewFake(t0)
	ch := f.After(time.Hour)
	select {
	case <-ch:
		t.Fatal("fired before the clock moved")
	default:
	}
	f.Advance(59 * time.Minute)
	select {
	case <-ch:
		t.Fatal("fired early")
	default:
	}
	f.Advance(time.Minute)
	select {
	case got := <-ch:
		if !got.Equal(t0.Add(time.Hour)) {
			t.Errorf("fired at %v, want %v", got, t0.Add(time.Hour))
		}
	default:
		t.Fatal("did not fire at its time")
	}
	f.Set(t0) // backwards: ignored
	if !f.Now().Equal(t0.Add(time.Hour)) {
		t.Errorf("Set moved the clock backwards")
	}
}

func TestFakeAfterFunc(t *testing.T) {
	f := NewFake(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	fired := make(chan string, 2)
	f.AfterFunc(time.Hour, func() { fired <- "hour" })
	f.AfterFunc(0, func() { fired <- "now" })
	if got := <-fired; got != "now" {
		t.Fatalf("first call %q, want the one due now", got)
	}
	if n := f.Waiters(); n != 1 {
		t.Fatalf("%d calls pending, want 1", n)
	}
	f.Advance(59 * time.Minute)
	select {
	case got := <-fired:
		t.Fatalf("%q called early", got)
	default:
	}
	f.Advance(time.Minute)
	select {
	case got := <-fired:
		if got != "hour" {
			t.Errorf("called %q, want hour", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not called at its time")
	}
	if n := f.Waiters(); n != 0 {
		t.Errorf("%d calls still pending after firing", n)
	}
}
