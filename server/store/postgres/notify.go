package postgres

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imha-advocacy/imha/server/store"
)

// notifier sends referral change notifications after commit, batched, from one
// goroutine.
//
// Why not pg_notify inside the writing transaction: PostgreSQL serializes the
// commits of every transaction that notified (a database-wide lock taken in
// PreCommit_Notify is held through the commit's WAL flush), so with fsync on,
// intake ran one fsync at a time: 600 referrals/s and a p99 of 150-300 ms from 8-32
// writers, against 5,500/s and 4-40 ms without it (BenchmarkAddReferralLatency).
// Batching sends one NOTIFY for many ids.
//
// The price: a crash between a commit and its notification loses that
// notification. Listeners already re-read everything on every (re)connect
// (store.Requery), and a staff queue should refresh periodically anyway.
type notifier struct {
	ids  chan int64
	done chan struct{}
	once sync.Once
	send func(ctx context.Context, payload string) error
}

// notifyBatch bounds one payload (PostgreSQL's limit is 8000 bytes; ids are at most
// 19 digits and a comma).
const notifyBatch = 300

func newNotifier(send func(ctx context.Context, payload string) error) *notifier {
	n := &notifier{ids: make(chan int64, 4096), done: make(chan struct{}), send: send}
	go n.run()
	return n
}

// notify queues id; it never blocks a writer. If the queue is full the listeners
// are told to re-read everything instead.
func (n *notifier) notify(id int64) {
	select {
	case n.ids <- id:
	default:
		select {
		case n.ids <- store.Requery:
		default: // a Requery or many ids are already queued
		}
	}
}

func (n *notifier) run() {
	defer close(n.done)
	missed := false
	for id := range n.ids {
		batch := []int64{id}
	fill:
		for len(batch) < notifyBatch {
			select {
			case id, ok := <-n.ids:
				if !ok {
					break fill
				}
				batch = append(batch, id)
			default:
				break fill
			}
		}
		parts := make([]string, 0, len(batch)+1)
		if missed {
			parts = append(parts, "0") // an earlier batch failed: re-read everything
		}
		for _, id := range batch {
			parts = append(parts, strconv.FormatInt(id, 10))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := n.send(ctx, strings.Join(parts, ","))
		cancel()
		missed = err != nil
	}
}

// close sends what is queued and stops.
func (n *notifier) close() {
	n.once.Do(func() {
		close(n.ids)
		<-n.done
	})
}

// parsePayload turns "12,13" into ids; anything else (including "0") means Requery.
func parsePayload(p string) []int64 {
	var out []int64
	for _, s := range strings.Split(p, ",") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return []int64{store.Requery}
		}
		out = append(out, id)
	}
	return out
}
