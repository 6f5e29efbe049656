package sqlite

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/imha-advocacy/imha/server/store"
)

// hub fans referral ids out to listeners in this process. SQLite serves one server
// (the file is local), so in-process delivery is all a live queue needs.
type hub struct {
	mu        sync.Mutex
	listeners map[*listener]struct{}
}

type listener struct {
	ids    chan int64
	missed atomic.Bool   // a notification was dropped: the listener must re-query
	wake   chan struct{} // capacity 1: "look at missed"
}

// notify never blocks a writer: a listener that is behind gets Requery instead.
func (h *hub) notify(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for l := range h.listeners {
		select {
		case l.ids <- id:
		default:
			l.missed.Store(true)
			select {
			case l.wake <- struct{}{}:
			default:
			}
		}
	}
}

// ListenReferrals implements store.ReferralNotifier. It calls fn(store.Requery) once
// it is listening, so a caller that read the queue before listening misses nothing.
func (db *DB) ListenReferrals(ctx context.Context, fn func(id int64)) error {
	l := &listener{ids: make(chan int64, 256), wake: make(chan struct{}, 1)}
	db.hub.mu.Lock()
	if db.hub.listeners == nil {
		db.hub.listeners = map[*listener]struct{}{}
	}
	db.hub.listeners[l] = struct{}{}
	db.hub.mu.Unlock()
	defer func() {
		db.hub.mu.Lock()
		delete(db.hub.listeners, l)
		db.hub.mu.Unlock()
	}()
	fn(store.Requery)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case id := <-l.ids:
			if l.missed.Swap(false) {
				fn(store.Requery)
			}
			fn(id)
		case <-l.wake:
			if l.missed.Swap(false) {
				fn(store.Requery)
			}
		}
	}
}
