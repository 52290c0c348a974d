package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCredentials(t *testing.T) {
	tests := []struct {
		name, header, org, secret string
		ok                        bool
	}{
		{"none", "", "", "", false},
		{"basic", "Basic " + b64("cert-fr:dgt_abc"), "cert-fr", "dgt_abc", true},
		{"basic without password", "Basic " + b64("cert-fr:"), "cert-fr", "", false},
		{"bearer", "Bearer dgt_xyz", "", "dgt_xyz", true},
		{"bearer lower case", "bearer dgt_xyz", "", "dgt_xyz", true},
		{"bearer empty", "Bearer ", "", "", false},
		{"unknown scheme", "Digest abc", "", "", false},
		{"garbage", "Basic !!!", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			org, secret, ok := Credentials(r)
			if ok != tt.ok || (ok && (org != tt.org || secret != tt.secret)) {
				t.Fatalf("Credentials = %q, %q, %v; want %q, %q, %v", org, secret, ok, tt.org, tt.secret, tt.ok)
			}
		})
	}
}

func b64(s string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(s[:indexColon(s)], s[indexColon(s)+1:])
	return r.Header.Get("Authorization")[len("Basic "):]
}

func indexColon(s string) int {
	for i := range s {
		if s[i] == ':' {
			return i
		}
	}
	return len(s)
}

func TestBucket(t *testing.T) {
	var b bucket
	t0 := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if !b.take(t0, 1, 3) {
			t.Fatalf("take %d refused within burst", i)
		}
	}
	if b.take(t0, 1, 3) {
		t.Fatal("take beyond burst allowed")
	}
	if !b.take(t0.Add(1100*time.Millisecond), 1, 3) {
		t.Fatal("take after refill refused")
	}
}

func TestFailureBudget(t *testing.T) {
	a := New(nil, Options{FailuresPerMinute: 2})
	now := time.Unix(1000, 0)
	for i := 0; i < 2; i++ {
		if !a.allowAttempt("192.0.2.1", now) {
			t.Fatalf("attempt %d refused", i)
		}
		a.recordFailure("192.0.2.1", now)
	}
	if a.allowAttempt("192.0.2.1", now) {
		t.Fatal("third failed attempt within a minute allowed")
	}
	if !a.allowAttempt("192.0.2.2", now) {
		t.Fatal("other address refused")
	}
	if !a.allowAttempt("192.0.2.1", now.Add(31*time.Second)) {
		t.Fatal("attempt after the budget refilled refused")
	}
}
