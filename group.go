package dragnet

import "time"

// Group is a sharing group: a named set of organisations and other groups.
// Nesting is allowed; cycles are refused.
type Group struct {
	ID      int64
	Name    string
	Orgs    []string // direct member organisations, by name
	Groups  []string // direct member groups, by name
	Created time.Time
}
