// Package yitubin builds the yitu binary for tests that run it as users do: with `make binary`, as
// users and CI build it (version-stamped, with the viewer that `make frontend` built embedded).
package yitubin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Main builds the binary into a temporary folder, stores its path in *bin, runs the tests and
// removes the folder: a package's TestMain is `func TestMain(m *testing.M) { yitubin.Main(m, &bin) }`.
// The repository root is found from the working directory (the package's folder under go test).
func Main(m interface{ Run() int }, bin *string) {
	os.Exit(run(m, bin))
}

func run(m interface{ Run() int }, bin *string) int {
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "yitu-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	*bin = filepath.Join(dir, "yitu")
	cmd := exec.Command("make", "-s", "-C", root, "binary", "BIN="+*bin)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "make binary:", err)
		return 1
	}
	return m.Run()
}

// repoRoot is the nearest folder above the working directory that holds go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}
