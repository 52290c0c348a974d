package postgres

import "testing"

// The embedded migrations are numbered once each: a second file with a
// number already used would never be applied.
func TestEmbeddedMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %s has number %d, want %d (no gaps, no repeats)", m.name, m.version, i+1)
		}
	}
}
