package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/imha-advocacy/imha/server/store"
)

func TestParsePayload(t *testing.T) {
	tests := []struct {
		payload string
		want    []int64
	}{
		{"12", []int64{12}},
		{"12,13,14", []int64{12, 13, 14}},
		{"0", []int64{store.Requery}},
		{"0,12", []int64{store.Requery}},
		{"", []int64{store.Requery}},
		{"12,x", []int64{store.Requery}},
		{"-3", []int64{store.Requery}},
	}
	for _, tt := range tests {
		if got := parsePayload(tt.payload); !slices.Equal(got, tt.want) {
			t.Errorf("parsePayload(%q) = %v, want %v", tt.payload, got, tt.want)
		}
	}
}

// TestNotifier checks that every queued id is sent, in order, and that after a
// failed send the next payload asks listeners to re-read everything.
func TestNotifier(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	fail := true
	n := newNotifier(func(_ context.Context, p string) error {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, p)
		if fail {
			fail = false
			return errors.New("connection lost")
		}
		return nil
	})
	for id := range int64(1000) {
		n.notify(id + 1)
	}
	n.close()
	n.close() // safe twice, like Close

	var ids []int64
	for i, p := range sent {
		got := parsePayload(p)
		if i == 1 && !strings.HasPrefix(p, "0,") {
			t.Errorf("payload after a failed send = %.20q, want a leading Requery", p)
		}
		if i == 1 {
			got = parsePayload(strings.TrimPrefix(p, "0,"))
		}
		if len(strings.Split(p, ",")) > notifyBatch+1 {
			t.Errorf("payload of %d ids, want at most %d", len(strings.Split(p, ",")), notifyBatch+1)
		}
		ids = append(ids, got...)
	}
	if len(ids) != 1000 || !slices.IsSorted(ids) || ids[0] != 1 || ids[999] != 1000 {
		t.Errorf("sent %d ids in %d payloads, want 1..1000 in order", len(ids), len(sent))
	}
}
