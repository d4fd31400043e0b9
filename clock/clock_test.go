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
