// Package shareddata finds the real third-party test files in ../shared/data (relative to the
// repository root; see that folder's README). Tests read them in place; they are never copied into
// the repository. A test whose file is missing fails: it never skips.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared data folder: $YITU_SHARED_DATA, else ../shared/data beside the repository.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("YITU_SHARED_DATA"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, "..", "shared", "data")
			if _, err := os.Stat(dir); err != nil {
				t.Fatalf("shared test data not found at %s (set YITU_SHARED_DATA): %v", dir, err)
			}
			return dir
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

// Path returns the path of a file in the shared data folder and fails the test if it is missing.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test file missing: %v", err)
	}
	return p
}
