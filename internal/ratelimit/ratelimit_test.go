package ratelimit_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/ratelimit"
)

func TestKeyed(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	l := ratelimit.New(2, 3)
	for i := range 3 {
		if ok, _ := l.Allow("a", now); !ok {
			t.Fatalf("token %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := l.Allow("a", now)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("past the burst: %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Allow("b", now); !ok {
		t.Fatal("another key shares the first one's bucket")
	}
	if ok, _ := l.Allow("a", now.Add(500*time.Millisecond)); !ok {
		t.Fatal("refilled token refused")
	}
}

func TestKeyedForgetsKeysPastItsBound(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	l := ratelimit.New(1, 1)
	for i := range ratelimit.MaxTracked + 10 {
		if ok, _ := l.Allow(strconv.Itoa(i), now); !ok {
			t.Fatalf("key %d: a fresh key was refused", i)
		}
	}
	if n := l.Len(); n > ratelimit.MaxTracked {
		t.Fatalf("%d keys remembered, bound %d", n, ratelimit.MaxTracked)
	}
}
