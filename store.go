package dragnet

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dragnet-intel/dragnet/internal/jsonscan"
	"github.com/dragnet-intel/dragnet/stix"
)

// Store is everything a storage backend provides. The sqlite and postgres
// packages implement it; storetest holds the conformance suite both pass.
//
// Every method reads the calling Principal from ctx and applies the access
// rules itself: a method called without a principal fails with
// EUNAUTHORIZED. Intelligence is shown only through the caller's Access.
type Store interface {
	OrgService
	TokenService
	GroupService
	ObjectService
	StatusService
	ValueService
	AuditService
	Close() error
}

// OrgService manages member organisations.
type OrgService interface {
	// CreateOrg adds an organisation (operator only), creates its STIX
	// identity and its private audience, and fills o.ID, o.Identity,
	// o.Created. EINVALID for a bad name, country or kind; ECONFLICT if the
	// name is taken.
	CreateOrg(ctx context.Context, o *Org) error
	// FindOrg returns the organisation by name, ENOTFOUND if none. Any
	// authenticated principal may look organisations up.
	FindOrg(ctx context.Context, name string) (*Org, error)
	// ListOrgs returns all organisations ordered by name.
	ListOrgs(ctx context.Context) ([]*Org, error)
	// EnsureOperator creates the operator organisation on first start and
	// returns it with created=true, plus a new admin token secret; on later
	// starts it returns the existing one, created=false and no secret.
	EnsureOperator(ctx context.Context, name, country string) (org *Org, secret string, created bool, err error)
}

// TokenService manages API tokens.
type TokenService interface {
	// CreateToken makes a token for the named organisation (operator, or an
	// admin of that organisation) and returns the secret, shown only now.
	CreateToken(ctx context.Context, org string, role Role, label string, expires time.Time) (secret string, t *Token, err error)
	// Authenticate resolves a secret to a principal. org, if not empty (HTTP
	// Basic user), must be the token's organisation. Unknown, expired,
	// revoked or mismatched tokens all give the same EUNAUTHORIZED. Needs no
	// principal in ctx.
	Authenticate(ctx context.Context, org, secret string) (Principal, error)
	// ListTokens lists an organisation's tokens (without secrets).
	ListTokens(ctx context.Context, org string) ([]*Token, error)
	// RevokeToken revokes a token by id.
	RevokeToken(ctx context.Context, id int64) error
}

// GroupService manages sharing groups.
type GroupService interface {
	// CreateGroup adds a group (operator only) with its audience. Members
	// name organisations or groups. ECONFLICT if the name is taken by a group
	// or an organisation, EINVALID for an unknown member.
	CreateGroup(ctx context.Context, name string, members []string) (*Group, error)
	// AddGroupMembers and RemoveGroupMembers change membership; the change
	// applies at once to everything already shared with the group. A member
	// that would make a cycle is refused with EINVALID.
	AddGroupMembers(ctx context.Context, group string, members []string) error
	RemoveGroupMembers(ctx context.Context, group string, members []string) error
	FindGroup(ctx context.Context, name string) (*Group, error)
	ListGroups(ctx context.Context) ([]*Group, error)
}

// Collection is an audience as the caller sees it over TAXII.
type Collection struct {
	Audience
	CanRead  bool
	CanWrite bool
}

// Submission is one object offered for storage: the decoded object and the
// normalised observable values it carries (for the value index).
type Submission struct {
	Object *stix.Object
	Values []Value
}

// AddResult is the outcome for one submitted object. Err is nil on success;
// otherwise an *Error whose message says why (shown to the submitter).
type AddResult struct {
	ID      string
	Version time.Time
	Err     error
}

// StoredObject is one object version as published to one audience.
type StoredObject struct {
	ID          string
	Type        string
	SpecVersion string
	Version     time.Time // modified, else created, else DateAdded
	Revoked     bool
	DateAdded   time.Time // unique and strictly increasing across the store (microseconds)
	AudienceID  int64
	TLP         TLP
	Submitter   int64 // organisation id that submitted this version here
	Raw         json.RawMessage
}

// Filter selects object versions, as TAXII 2.1 section 3.4 defines.
type Filter struct {
	AddedAfter   time.Time // exclusive
	Limit        int       // 0: the store's default
	Next         string    // opaque cursor from an earlier Page
	IDs          []string
	Types        []string
	Versions     []string // "first", "last", "all" or STIX timestamps; empty means "last"
	SpecVersions []string // empty means the newest spec version of each object
}

// Page is one page of a listing. When More is true, Next continues it.
type Page struct {
	Objects []*StoredObject
	More    bool
	Next    string
}

// ObjectService stores and reads intelligence by collection.
type ObjectService interface {
	// Collections lists the collections the caller can read or write.
	Collections(ctx context.Context) ([]*Collection, error)
	// Collection returns one; ENOTFOUND if it does not exist or the caller
	// may not see it (the two are never distinguished).
	Collection(ctx context.Context, id string) (*Collection, error)
	// AddObjects publishes objects into a collection. The caller must have a
	// write role and see the collection. Each object succeeds or fails on its
	// own (TLP, authorship and version rules); failures do not stop the
	// others. When statusID is not empty, the outcomes are recorded in that
	// status in the same transaction as the objects. The returned error is
	// for faults only; nothing of a failed transaction is kept.
	AddObjects(ctx context.Context, collectionID, statusID string, subs []*Submission) ([]AddResult, error)
	// Objects lists versions in a collection in date_added order. With
	// withRaw false (manifests) Raw is left nil.
	Objects(ctx context.Context, collectionID string, f Filter, withRaw bool) (*Page, error)
	// DeleteObject removes the matching versions of an object from a
	// collection (only the organisation that authored it may).
	DeleteObject(ctx context.Context, collectionID, id string, f Filter) error
	// Access returns the caller's Access, computed now.
	Access(ctx context.Context) (*Access, error)
}

// Status is a TAXII 2.1 status resource.
type Status struct {
	ID               string
	CollectionID     string
	OrgID            int64  // only this organisation may read it
	Status           string // "pending" or "complete"
	RequestTimestamp time.Time
	Successes        []StatusDetail
	Failures         []StatusDetail
	Pendings         []StatusDetail
}

// StatusDetail is one object's entry in a Status.
type StatusDetail struct {
	ID      string
	Version time.Time // zero when unknown
	Message string
}

// StatusService keeps status resources.
type StatusService interface {
	// CreateStatus stores a new status (ID assigned if empty) whose
	// Pendings will be resolved by AddObjects.
	CreateStatus(ctx context.Context, s *Status) error
	// Status returns a status; ENOTFOUND unless the caller's organisation
	// made the request.
	Status(ctx context.Context, id string) (*Status, error)
}

// ValueRef is one visible submission carrying a value.
type ValueRef struct {
	Value      Value
	ObjectID   string
	Version    time.Time
	Type       string
	AudienceID int64
	TLP        TLP
	OrgID      int64
	DateAdded  time.Time
}

// ValueService reads the value index.
type ValueService interface {
	// ValueRefs returns the submissions carrying v that the caller may see.
	ValueRefs(ctx context.Context, v Value) ([]*ValueRef, error)
}

// AuditEvent is one append-only audit record.
type AuditEvent struct {
	ID      int64     `json:"id"`
	Time    time.Time `json:"time"`
	OrgID   int64     `json:"org_id,omitempty"`
	OrgName string    `json:"org,omitempty"`
	TokenID int64     `json:"token_id,omitempty"`
	Action  string    `json:"action"`  // e.g. "objects.add", "token.create", "access.denied"
	Target  string    `json:"target"`  // what was acted on
	Outcome string    `json:"outcome"` // "ok", "denied", "error"
	Remote  string    `json:"remote,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// AuditFilter selects audit events.
type AuditFilter struct {
	OrgID int64 // 0: all (operator only)
	Since time.Time
	Limit int
}

// AuditService records and reads the audit log.
type AuditService interface {
	// Audit appends an event. It needs no principal (denied requests are
	// audited too).
	Audit(ctx context.Context, e *AuditEvent) error
	// AuditEvents reads events: the operator all, an organisation admin its
	// own organisation's; others EFORBIDDEN.
	AuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)
}

// ValueEntry is one indexed value of the current (newest) version of an
// object in one audience.
type ValueEntry struct {
	Value      Value
	ObjectID   string
	Type       string
	Version    time.Time
	AudienceID int64
	TLP        TLP
	OrgID      int64 // the organisation that submitted this version here
	Revoked    bool
	ValidUntil time.Time // zero when the object has none
	DateAdded  time.Time
	// Confidence and ValidFrom are an indicator's confidence (0..100; 0
	// also when absent) and valid_from (zero when absent); other objects
	// leave them zero.
	Confidence int
	ValidFrom  time.Time
}

// ValueChange says that the current values of one object in one audience
// are now Entries. Entries is empty when the object was removed from the
// audience or its current version carries no values. Consumers replace
// whatever they held for (ObjectID, AudienceID).
type ValueChange struct {
	// Seq is the position in the change stream: the date_added (in
	// microseconds) of the submission that made the change, or the Seq
	// of the removal (RemovalTail), so ObjectsAfter or RemovalsAfter
	// from Seq-1 reads the object or removal the change is about.
	Seq        int64
	ObjectID   string
	AudienceID int64
	Entries    []*ValueEntry
}

// ValueScanner feeds the in-memory match and correlation indexes. It sees
// every audience, so only the system principal may call it (EFORBIDDEN
// otherwise); the indexes apply the reader's Access to every lookup through
// ValueEntry.AudienceID. Stores implement it beside Store.
type ValueScanner interface {
	// ScanValues calls fn for every value of the current version of every
	// object in every audience, from one consistent snapshot, and returns
	// the cursor from which ValueChanges continues. An error from fn stops
	// the scan and is returned.
	ScanValues(ctx context.Context, fn func(*ValueEntry) error) (cursor int64, err error)
	// ValueChanges returns up to limit changes made after cursor, oldest
	// first, and the cursor to pass next time (unchanged when there are
	// none). limit <= 0 means 1000.
	ValueChanges(ctx context.Context, cursor int64, limit int) ([]*ValueChange, int64, error)
}

// ChangeKind says what a Change is about.
type ChangeKind string

const (
	ChangeObjects ChangeKind = "objects" // objects were published, up to Change.DateAdded
	ChangeAccess  ChangeKind = "access"  // group membership changed: recompute Access
	ChangeDelete  ChangeKind = "delete"  // versions of Change.ObjectID were removed
	ChangeResync  ChangeKind = "resync"  // notices may have been missed: re-read from your cursor
)

// Change is a notice that the store changed, made by this node or by
// another sharing the same database. It is a wake-up with a hint, not the
// change itself: subscribers read ValueChanges from their cursor, or
// recompute Access.
type Change struct {
	Kind      ChangeKind
	DateAdded time.Time // ChangeObjects: the newest date_added committed
	ObjectID  string    // ChangeDelete
}

// ChangeNotifier lets in-memory indexes (matcher, correlation, sessions)
// learn of writes at once instead of polling; stores that several nodes can
// share implement it beside Store. Indexes that hold a ValueScanner cursor
// call ValueChanges on every notice, and also now and then in case a
// notice was lost.
type ChangeNotifier interface {
	// Changes delivers notices of committed changes until ctx is done,
	// then closes the channel. The first notice (ChangeResync) comes once
	// listening has begun, so reading from a cursor after it misses
	// nothing; after a lost connection another ChangeResync follows.
	Changes(ctx context.Context) <-chan Change
}

// ObjectScanner feeds the in-memory graph (correlation, clusters, trace).
// It sees every audience, so only the system principal may call it
// (EFORBIDDEN otherwise); the graph applies the reader's Access to every
// query through StoredObject.AudienceID. Stores implement it beside Store.
type ObjectScanner interface {
	// ScanObjects calls fn for the current (newest) version of every
	// object in every audience, Raw included, in date_added order, from
	// one consistent snapshot. An error from fn stops the scan and is
	// returned.
	ScanObjects(ctx context.Context, fn func(*StoredObject) error) error
}

// Subscription kinds: what a member wants to be alerted about.
const (
	SubscribeValue       = "value"        // new intelligence carrying one observable value (Key: "kind:value")
	SubscribeActor       = "actor"        // new intelligence naming a threat actor or intrusion set (Key: its STIX id)
	SubscribeCountry     = "country"      // new intelligence about a country (Key: ISO 3166-1 alpha-2)
	SubscribeCrossBorder = "cross-border" // a value the member reported is now reported from two or more countries (no Key)
	SubscribeSighting    = "sighting"     // a sighting of an object the member published (no Key)
)

// Subscription is one organisation's wish to be alerted. Alerts go to the
// organisation's event stream and, when WebhookURL is set, are posted
// there signed with WebhookSecret.
type Subscription struct {
	ID            int64
	OrgID         int64 // the subscribing organisation; set by the store from the caller
	Kind          string
	Key           string
	WebhookURL    string // empty: the event stream only
	WebhookSecret string // required with WebhookURL; never shown back
	Created       time.Time
}

// SubscriptionService keeps alert subscriptions. Organisations manage
// their own (a write or admin token; a read token may list them); the
// system principal lists every organisation's. Changes are audited in the
// same transaction ("alert.subscribe", "alert.update", "alert.unsubscribe").
type SubscriptionService interface {
	// CreateSubscription validates s (see Subscription.Validate), stores
	// it for the caller's organisation and fills ID, OrgID and Created.
	CreateSubscription(ctx context.Context, s *Subscription) error
	// Subscriptions lists the caller's organisation's subscriptions by id
	// (the system principal's: all of them).
	Subscriptions(ctx context.Context) ([]*Subscription, error)
	// UpdateSubscription replaces kind, key and webhook of subscription
	// s.ID. ENOTFOUND unless it belongs to the caller's organisation.
	UpdateSubscription(ctx context.Context, s *Subscription) error
	// DeleteSubscription removes one; ENOTFOUND unless it belongs to the
	// caller's organisation.
	DeleteSubscription(ctx context.Context, id int64) error
}

// ObjectTail lets followers of the store (alerts, enrichment) read what was
// published since they last looked. It sees every audience, so only the
// system principal may call it (EFORBIDDEN otherwise). Stores implement it
// beside Store.
type ObjectTail interface {
	// ObjectsAfter returns up to limit current object versions (Raw
	// included) whose date_added is after cursor, in date_added order, and
	// the cursor to pass next time (the last one's date_added in
	// microseconds, or cursor when there is none). A negative cursor
	// returns no objects and the cursor of the newest object stored: where
	// to start following from now on. limit <= 0 means 1000.
	ObjectsAfter(ctx context.Context, cursor int64, limit int) ([]*StoredObject, int64, error)
}

// AlertClaimer is implemented by stores that several nodes share (the
// postgres store): every node sees every publication and makes the same
// alerts, so a node posts an alert's webhook only if it is the first to
// claim the alert's id.
type AlertClaimer interface {
	// ClaimAlert reports whether this call is the first to claim id
	// (within a day: older claims are forgotten). System principal only.
	ClaimAlert(ctx context.Context, id string) (bool, error)
}

// IndicatorTerms reads from an indicator's JSON the top-level members that
// stores index and value scanners report: confidence when it is a whole
// number in 0..100 (else 0), valid_from when it is an RFC 3339 timestamp
// (else zero) and valid_until when it is a STIX timestamp in the years
// 1678–2261, whose nanoseconds fit an int64 (else zero). Property names
// are exact; a member given twice counts as its last, as a decoder reads
// it; members nested in other members do not count. Text that is not one
// JSON object gives zeros.
func IndicatorTerms(raw string) (confidence int, validFrom, validUntil time.Time) {
	var conf, from, until jsonscan.Value
	err := jsonscan.Object(raw, func(key string, v jsonscan.Value) error {
		switch key {
		case "confidence":
			conf = v
		case "valid_from":
			from = v
		case "valid_until":
			until = v
		}
		return nil
	})
	if err != nil {
		return 0, time.Time{}, time.Time{}
	}
	if c, ok := conf.Number(); ok && c >= 0 && c <= 100 && c == float64(int(c)) {
		confidence = int(c)
	}
	if s, ok := from.String(); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			validFrom = t.UTC()
		}
	}
	if s, ok := until.String(); ok {
		if t, err := stix.ParseTimestamp(s); err == nil && t.Year() >= 1678 && t.Year() <= 2261 {
			validUntil = t
		}
	}
	return confidence, validFrom, validUntil
}

// ValidUntilNanos is an indicator's valid_until (see IndicatorTerms) in
// nanoseconds since the epoch, the column stores keep it in; 0 when it has
// none or o is not an indicator.
func ValidUntilNanos(o *stix.Object) int64 {
	if o.Type != "indicator" {
		return 0
	}
	if _, _, t := IndicatorTerms(string(o.Raw)); !t.IsZero() {
		return t.UnixNano()
	}
	return 0
}
