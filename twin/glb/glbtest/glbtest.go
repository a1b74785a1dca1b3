// Package glbtest checks glb files with the Khronos glTF validator (the npm gltf-validator library,
// installed by `make setup` under twin/glb/validator) for tests of any package that writes glb.
package glbtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Issue is one validator message.
type Issue struct {
	Code     string `json:"code"`
	Severity int    `json:"severity"` // 0 error, 1 warning, 2 info, 3 hint
	Pointer  string `json:"pointer"`
	Message  string `json:"message"`
}

// Report is the validator's verdict on one file.
type Report struct {
	File     string  `json:"file"`
	Errors   int     `json:"errors"`
	Warnings int     `json:"warnings"`
	Issues   []Issue `json:"issues"`
}

func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d errors, %d warnings", r.File, r.Errors, r.Warnings)
	for _, is := range r.Issues {
		if is.Severity <= 1 {
			fmt.Fprintf(&b, "\n  %s %s: %s", is.Code, is.Pointer, is.Message)
		}
	}
	return b.String()
}

// ValidatorDir is the folder holding validate.mjs and its node_modules.
func ValidatorDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "validator")
}

// Run validates files and returns one report per file. It fails the test if the validator cannot run
// (node or the npm package missing: `make setup` installs both).
func Run(t testing.TB, files ...string) []Report {
	t.Helper()
	if len(files) == 0 {
		return nil
	}
	dir := ValidatorDir()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "gltf-validator")); err != nil {
		t.Fatalf("the glTF validator is not installed in %s; run `make setup` (npm ci there)", dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed; run `make setup` (scripts/setup installs nodejs)")
	}
	var reports []Report
	for start := 0; start < len(files); start += 200 { // keep command lines short
		batch := files[start:min(start+200, len(files))]
		cmd := exec.Command(node, append([]string{filepath.Join(dir, "validate.mjs")}, batch...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok || len(out) == 0 {
				t.Fatalf("running the glTF validator: %v\n%s", err, stderr.String())
			}
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var r Report
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("glTF validator output %q: %v", sc.Text(), err)
			}
			reports = append(reports, r)
		}
	}
	if len(reports) != len(files) {
		t.Fatalf("the glTF validator reported on %d of %d files", len(reports), len(files))
	}
	return reports
}

// Check validates files and fails the test for every file with an error.
func Check(t testing.TB, files ...string) {
	t.Helper()
	for _, r := range Run(t, files...) {
		if r.Errors > 0 {
			t.Errorf("glTF validator: %s", r)
		}
	}
}

// CheckBytes writes each glb to a temporary file named after its key and validates them all.
func CheckBytes(t testing.TB, glbs map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for name, b := range glbs {
		f := filepath.Join(dir, strings.NewReplacer("/", "_", "\\", "_").Replace(name))
		if !strings.HasSuffix(f, ".glb") {
			f += ".glb"
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	Check(t, files...)
}
