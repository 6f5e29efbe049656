package web

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/content"
	"github.com/imha-advocacy/imha/locales"
	"github.com/imha-advocacy/imha/server/chat"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/store/sqlite"
)

// BenchmarkChatStep measures one answer end to end without the network:
// load the session, step the engine, save the state, render the frames.
// Run: go test ./server/web -run '^$' -bench ChatStep -benchmem
func BenchmarkChatStep(b *testing.B) {
	cv := benchConversations(b)
	ctx := context.Background()
	s := cv.fresh("en", "", "")
	if _, err := cv.step(ctx, s, startReferral); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Back and forth between two steps: a save per answer, like a person.
		in := nextInput
		if i%2 == 1 {
			in = backInput
		}
		loaded, err := cv.open(ctx, s.token)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cv.step(ctx, loaded, in); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	startReferral = chat.Input{Kind: chat.InStart, Flow: "referral"}
	nextInput     = chat.Input{Kind: chat.InChoose, Value: "_next"}
	backInput     = chat.Input{Kind: chat.InBack}
)

func benchConversations(b *testing.B) *conversations {
	b.Helper()
	pages, err := library.Load(content.FS)
	if err != nil {
		b.Fatal(err)
	}
	langs, err := locale.Load(locales.FS)
	if err != nil {
		b.Fatal(err)
	}
	known, err := chat.MessageIDs(locales.FS, "active.en.toml")
	if err != nil {
		b.Fatal(err)
	}
	engine, err := chat.Load(content.FS, known)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "imha.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return &conversations{engine: engine, locales: langs, store: db, provider: pages.Provider(), now: time.Now}
}
