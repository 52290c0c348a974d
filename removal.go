package dragnet

import "context"

// Removal is one deletion a store recorded: versions of ObjectID were
// removed from AudienceID (a TAXII DELETE). Current is the version of the
// object that is current in that audience as of the read (Raw included),
// nil when none remains there.
type Removal struct {
	Seq        int64 // from the same sequence as date_added (microseconds)
	ObjectID   string
	AudienceID int64
	Current    *StoredObject
}

// RemovalTail lets followers of an ObjectTail learn of deletions, so that
// an index built from what was published stops counting what was removed.
// Removal sequence numbers are drawn from the same counter as date_added
// and committed in the same order, so a follower keeps one cursor for
// both. It sees every audience, so only the system principal may call it
// (EFORBIDDEN otherwise). Stores implement it beside ObjectTail.
type RemovalTail interface {
	// RemovalsAfter returns up to limit removals recorded after cursor,
	// oldest first, read from one snapshot, and the cursor to pass next
	// time: the last removal's Seq when limit were returned, otherwise
	// the newest date_added or removal sequence number allocated as of
	// that snapshot (never less than cursor), so that every removal up to
	// the returned cursor has been returned. cursor must not be negative.
	// limit <= 0 means 1000.
	RemovalsAfter(ctx context.Context, cursor int64, limit int) ([]*Removal, int64, error)
}
