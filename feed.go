package dragnet

import (
	"context"
	"time"
)

// Feed is a source of intelligence pulled on a schedule into one
// collection, published as one organisation.
type Feed struct {
	ID           int64
	Name         string
	OrgName      string        // the organisation the objects are published as
	CollectionID string        // where they go
	URL          string        // file path or http(s) URL
	Settings     string        // how to read it (JSON; the feed/input package's Settings)
	TLP          TLP           // marking of built objects without their own; TLPNone: the collection's default
	Interval     time.Duration // between pulls
	Gone         string        // what becomes of entries gone from the feed: "revoke", "expire" or "keep"
	Enabled      bool
	Created      time.Time

	// The last pull.
	LastRun      time.Time
	LastSuccess  time.Time
	LastError    string // empty when the last pull succeeded
	LastSummary  string // JSON summary of the last successful pull
	ETag         string // validators of the last successful fetch
	LastModified string
	Failures     int // consecutive failed pulls (for back-off)
}

// FeedService keeps scheduled feeds. Only the hub operator manages them
// (EFORBIDDEN otherwise); the scheduler acts as the system principal.
type FeedService interface {
	// CreateFeed adds a feed and fills f.ID and f.Created. ECONFLICT if
	// the name is taken; EINVALID for a bad name or interval.
	CreateFeed(ctx context.Context, f *Feed) error
	// ListFeeds returns every feed, by name.
	ListFeeds(ctx context.Context) ([]*Feed, error)
	// FindFeed returns a feed by name; ENOTFOUND if none.
	FindFeed(ctx context.Context, name string) (*Feed, error)
	// DeleteFeed removes a feed and its state; the objects it stored stay.
	DeleteFeed(ctx context.Context, name string) error
	// RecordFeedRun stores the result fields of f (LastRun to Failures)
	// and, when state is not nil, replaces the feed's state with it, in one
	// transaction.
	RecordFeedRun(ctx context.Context, f *Feed, state []byte) error
	// FeedState returns the state the feed's last successful pull stored
	// (nil if none): opaque to the store.
	FeedState(ctx context.Context, id int64) ([]byte, error)
}

// FeedClaimer is implemented by stores that several nodes share (the
// postgres store): a scheduler claims a due feed's run before pulling it,
// so that one node pulls it, not every node.
type FeedClaimer interface {
	// ClaimFeedRun claims the run of feed id until `until` and reports
	// whether it did: not if the feed has run since lastRun (the LastRun
	// the caller saw) or another node holds an unexpired claim.
	// RecordFeedRun ends the claim.
	ClaimFeedRun(ctx context.Context, id int64, lastRun, until time.Time) (bool, error)
}
