// Package feed turns what members already have — STIX bundles, MISP events
// and feeds, CSV and plain-text blocklists, remote TAXII collections — into
// STIX 2.1 objects and stores them through a dragnet.Store.
//
// Each connector (feed/stix, feed/misp, feed/csv, feed/taxii) decodes its
// input into Items: one STIX object each, with the observable values it
// carries and where in the input it came from, or a rejection naming the
// line or JSON path and the reason. Connectors build their objects with a
// Builder, which gives every object a deterministic id derived from the
// ingesting organisation, the source and the entry's value, so that pulling
// the same feed twice creates nothing new. The Pipeline stores Items in
// batches, compares them with the stored versions, and reports a Summary
// that accounts for every entry.
//
// The Scheduler pulls feeds and retires what is gone from them (revoked or
// expired, as the feed says): a line of a list or an entry of a bundle
// absent from the new pull; an attribute absent from a MISP feed event
// read again, or every entry of an event its manifest no longer lists; an
// object a remote TAXII collection's manifest no longer lists.
package feed

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Item is one decoded entry of a source, or one object derived from it.
//
// Exactly one of Object and Err is set. An Item with Err set is a rejected
// entry; Where names it (a line number or a JSON path) and Err says why.
type Item struct {
	Where  string // "line 12", "Event.Attribute[3]"
	Object *stix.Object
	Values []dragnet.Value // normalised observable values, for the value index
	// Entry marks the Item that stands for one entry of the source (a CSV
	// line, a MISP attribute or object, a STIX object of a bundle). Derived
	// objects (relationships, identities, the observed-data of an SCO) are
	// not entries and are counted separately.
	Entry bool
	// Warninglisted names the warninglist the entry's value is on. Such an
	// entry is kept as an observable, not turned into an active indicator
	// (unless the Builder says otherwise).
	Warninglisted string
	// RunTimes is true when the object's created, modified and valid_from
	// were taken from the time of the run because the source gave none; the
	// pipeline then ignores them when it compares with a stored version.
	RunTimes bool
	Err      error

	fp uint64 // Fingerprint, when the pipeline needs it
}

// Emit receives the Items of a decoder, in input order. An error returned
// by Emit stops the decoder, which returns it.
type Emit func(*Item) error

// Decoder is a connector's decoding step: it reads one input and emits its
// Items. It returns an error only when the input as a whole cannot be read
// (not JSON at all, an I/O failure); a bad entry is an Item with Err set and
// the rest of the input is still decoded.
type Decoder interface {
	Decode(ctx context.Context, r io.Reader, b *Builder, emit Emit) error
}

// Reject returns a rejected entry.
func Reject(where string, format string, args ...any) *Item {
	return &Item{Where: where, Entry: true, Err: fmt.Errorf(format, args...)}
}

// Outcome is what became of one entry.
type Outcome string

const (
	New           Outcome = "new"           // stored; no earlier version existed
	Updated       Outcome = "updated"       // stored as a new version of an earlier one
	Unchanged     Outcome = "unchanged"     // the stored version already says the same
	Warninglisted Outcome = "warninglisted" // on a warninglist: kept as an observable only
	Rejected      Outcome = "rejected"      // not stored; see the reason
	Revoked       Outcome = "revoked"       // gone from the feed: a revoked version was stored
	Expired       Outcome = "expired"       // gone from the feed: an expired version was stored
)

// Problem is one rejected entry or object.
type Problem struct {
	Source string `json:"source,omitempty"`
	Where  string `json:"where"`
	Reason string `json:"reason"`
}

// Summary accounts for every entry of one or more inputs. Entries is the
// number of entries read; it equals the sum of the entry outcomes. Objects
// counts every object stored or found unchanged, derived objects included.
type Summary struct {
	Entries  int             `json:"entries"`
	Outcomes map[Outcome]int `json:"outcomes"`
	Objects  struct {
		New       int `json:"new"`
		Updated   int `json:"updated"`
		Unchanged int `json:"unchanged"`
		Rejected  int `json:"rejected"`
	} `json:"objects"`
	// NotModified says the source answered "not modified": nothing was
	// read.
	NotModified bool `json:"not_modified,omitempty"`
	// RejectedInputs counts inputs that could not be decoded at all (each
	// also has a Problem).
	RejectedInputs int       `json:"rejected_inputs,omitempty"`
	Problems       []Problem `json:"problems,omitempty"`
}

// MaxProblems bounds the problems a Summary lists; the counts stay exact.
const MaxProblems = 1000

func (s *Summary) count(o Outcome) {
	if s.Outcomes == nil {
		s.Outcomes = map[Outcome]int{}
	}
	s.Outcomes[o]++
}

func (s *Summary) problem(p Problem) {
	if len(s.Problems) < MaxProblems {
		s.Problems = append(s.Problems, p)
	}
}

// AddProblem records a problem that is not an entry: an input rejected
// as a whole. It counts in Inputs.Rejected.
func (s *Summary) AddProblem(p Problem) {
	s.RejectedInputs++
	s.problem(p)
}

// Add merges t into s.
func (s *Summary) Add(t *Summary) {
	s.Entries += t.Entries
	for k, v := range t.Outcomes {
		if s.Outcomes == nil {
			s.Outcomes = map[Outcome]int{}
		}
		s.Outcomes[k] += v
	}
	s.Objects.New += t.Objects.New
	s.Objects.Updated += t.Objects.Updated
	s.Objects.Unchanged += t.Objects.Unchanged
	s.Objects.Rejected += t.Objects.Rejected
	s.RejectedInputs += t.RejectedInputs
	for _, p := range t.Problems {
		s.problem(p)
	}
}

// String prints the summary for people: one line of counts, then one line
// per problem.
func (s *Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d entries:", s.Entries)
	keys := make([]string, 0, len(s.Outcomes))
	for k := range s.Outcomes {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %d %s", s.Outcomes[Outcome(k)], k)
	}
	fmt.Fprintf(&b, "; objects: %d new, %d updated, %d unchanged, %d rejected",
		s.Objects.New, s.Objects.Updated, s.Objects.Unchanged, s.Objects.Rejected)
	if s.RejectedInputs > 0 {
		fmt.Fprintf(&b, "; %d inputs rejected whole", s.RejectedInputs)
	}
	b.WriteByte('\n')
	for _, p := range s.Problems {
		if p.Source != "" {
			fmt.Fprintf(&b, "rejected %s: %s: %s\n", p.Source, p.Where, p.Reason)
		} else {
			fmt.Fprintf(&b, "rejected %s: %s\n", p.Where, p.Reason)
		}
	}
	return b.String()
}
