package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imha-advocacy/imha/server/config"
)

// The shipped content passes the content checker: CI fails on any page
// missing in a language, broken link, long easy-read sentence and so on.
func TestShippedContentPassesCheckContent(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := checkContent(config.Config{}, &out, &errOut); err != nil {
		t.Fatalf("go run ./server check-content: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "| Page | en standard | en easy read |") || !strings.Contains(out.String(), "| what-is-an-imha |") {
		t.Errorf("no coverage table:\n%s", out.String())
	}
}

func TestCheckContentFailsWithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/provider.yaml", "name: A\nphone: 1\nemail: a@b.example\npromise: call you\n")
	writeFile(t, dir+"/pages/en/standard/a.md", "---\nid: a\ntitle: T\nsummary: S.\nlanguage: en\nvariant: standard\ntranslation: original\nsources: [x]\nlast_reviewed: 2026-11-24\norder: 1\n---\nSee [b](b).\n")
	var out, errOut bytes.Buffer
	err := checkContent(config.Config{ContentDir: dir}, &out, &errOut)
	if err == nil || !strings.Contains(errOut.String(), "content/pages/en/standard/a.md:12: link \"b\"") {
		t.Errorf("err %v, stderr:\n%s", err, errOut.String())
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
