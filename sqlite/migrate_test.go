package sqlite

import (
	"io/fs"
	"strings"
	"testing"
)

func TestMigrationNumbers(t *testing.T) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %v", names, err)
	}
	if _, err := migrationNumbers(names); err != nil {
		t.Errorf("embedded migrations: %v", err)
	}
	_, err = migrationNumbers([]string{"migrations/0001_init.sql", "migrations/0002_a.sql", "migrations/0002_b.sql"})
	if err == nil || !strings.Contains(err.Error(), "0002_a.sql and 0002_b.sql share the number 2") {
		t.Errorf("duplicate numbers: %v", err)
	}
	if _, err := migrationNumbers([]string{"migrations/init.sql"}); err == nil || !strings.Contains(err.Error(), "init.sql") {
		t.Errorf("unnumbered: %v", err)
	}
}
