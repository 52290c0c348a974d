// Package follow runs the loop of a follower of the store: work now, then
// on every tick and on every change notice.
package follow

import (
	"context"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Loop calls fn at once, then every interval and on every notice from wake
// (the notice is passed; the zero Change otherwise), until ctx is done.
// A closed wake is no longer waited on; a nil wake never delivers.
func Loop(ctx context.Context, every time.Duration, wake <-chan dragnet.Change, fn func(dragnet.Change)) {
	t := time.NewTicker(every)
	defer t.Stop()
	var c dragnet.Change
	for {
		fn(c)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c = dragnet.Change{}
		case n, ok := <-wake:
			if !ok {
				wake = nil
			}
			c = n
		}
	}
}
