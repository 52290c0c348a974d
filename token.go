package dragnet

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"time"
)

// Role is what a token may do within its organisation.
type Role string

const (
	RoleRead  Role = "read"  // read what the organisation may see
	RoleWrite Role = "write" // read, and publish into the organisation's audiences
	RoleAdmin Role = "admin" // write, and manage the organisation's tokens; on the operator organisation, manage the hub
)

// Valid reports whether r is a defined role.
func (r Role) Valid() bool { return r == RoleRead || r == RoleWrite || r == RoleAdmin }

// CanWrite reports whether the role may publish.
func (r Role) CanWrite() bool { return r == RoleWrite || r == RoleAdmin }

// ParseRole parses "read", "write" or "admin".
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", Errorf(EINVALID, "role %q is not one of read, write, admin", s)
	}
	return r, nil
}

// Token is an API credential of one organisation. Only the SHA-256 hash of
// its secret is stored; the secret is shown once, when it is created.
type Token struct {
	ID       int64
	OrgID    int64
	OrgName  string
	Role     Role
	Label    string
	Hash     []byte // SHA-256 of the secret
	Created  time.Time
	Expires  time.Time // zero: never
	Revoked  time.Time // zero: not revoked
	LastUsed time.Time
}

// Active reports whether the token may be used at now.
func (t *Token) Active(now time.Time) bool {
	if !t.Revoked.IsZero() {
		return false
	}
	return t.Expires.IsZero() || now.Before(t.Expires)
}

// TokenPrefix starts every secret, so that leaked tokens are easy to find by
// secret scanners.
const TokenPrefix = "dgt_"

// NewTokenSecret returns a new random secret (256 bits) and its hash.
func NewTokenSecret() (secret string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("dragnet: crypto/rand failed: " + err.Error())
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashToken(secret)
}

// HashToken returns the stored form of a secret.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// TokenMatches compares a presented secret with a stored hash in constant time.
func TokenMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashToken(secret), hash) == 1
}
