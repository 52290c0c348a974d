package follow

import (
	"context"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// TestLoop: fn runs at once, then once per notice with the notice, and the
// loop ends with its context, also after wake is closed.
func TestLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	wake := make(chan dragnet.Change)
	got := make(chan dragnet.Change)
	done := make(chan struct{})
	go func() {
		Loop(ctx, time.Hour, wake, func(c dragnet.Change) { got <- c })
		close(done)
	}()
	if c := <-got; c != (dragnet.Change{}) {
		t.Fatalf("first call with %+v", c)
	}
	wake <- dragnet.Change{Kind: dragnet.ChangeAccess}
	if c := <-got; c.Kind != dragnet.ChangeAccess {
		t.Fatalf("after a notice: %+v", c)
	}
	close(wake)
	if c := <-got; c != (dragnet.Change{}) {
		t.Fatalf("after wake closed: %+v", c)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not end with its context")
	}
}

// TestLoopTicks: with no notices, fn runs every interval.
func TestLoopTicks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, 1)
	go Loop(ctx, time.Millisecond, nil, func(dragnet.Change) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	for range 3 {
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatal("no tick")
		}
	}
}
