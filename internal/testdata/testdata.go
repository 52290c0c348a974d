// Package testdata finds the third-party test data shared by the project's
// tests: real STIX bundles, MISP events, feeds, warninglists and schemas
// kept beside the repository in shared/testdata (read-only).
package testdata

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared test data directory: $DRAGNET_TESTDATA when set,
// else the nearest shared/testdata beside the working directory or one of
// its ancestors (the repository checkout sits next to shared/).
func Dir() (string, error) {
	if d := os.Getenv("DRAGNET_TESTDATA"); d != "" {
		if _, err := os.Stat(d); err != nil {
			return "", err
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; {
		c := filepath.Join(d, "shared", "testdata")
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			return c, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("shared/testdata not found beside the working directory or its ancestors; set DRAGNET_TESTDATA")
		}
		d = parent
	}
}

// Path returns the path of rel inside the shared test data, failing the
// test when the data or the file is missing (missing data is an error, never
// a reason to skip).
func Path(t testing.TB, rel string) string {
	t.Helper()
	d, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(d, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data: %v", err)
	}
	return p
}

// Join returns the path of elem inside the shared test data, for package-
// level variables. When the data cannot be found it returns a path under
// "shared-testdata-not-found", so the test that opens it fails with a name
// that says why.
func Join(elem ...string) string {
	d, err := Dir()
	if err != nil {
		d = "shared-testdata-not-found"
	}
	return filepath.Join(append([]string{d}, elem...)...)
}
