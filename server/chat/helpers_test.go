package chat

import (
	"os"
	"sync"
	"testing"
)

var (
	engineOnce sync.Once
	testEngine *Engine
	engineErr  error
)

// loadEngine loads the shipped content and English ids once per test binary.
func loadEngine(t testing.TB) *Engine {
	t.Helper()
	engineOnce.Do(func() {
		var known map[string]bool
		known, engineErr = MessageIDs(os.DirFS("../../locales"), "active.en.toml")
		if engineErr == nil {
			testEngine, engineErr = Load(os.DirFS("../../content"), known)
		}
	})
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return testEngine
}
