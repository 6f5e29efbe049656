package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/store"
)

// percentile returns the p-th percentile (0-100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// BenchmarkAddReferralLatency is the intake target: at least 500 referrals/s with
// p99 under 50 ms, from 8 to 32 concurrent writers (kiosks, chats, imports), each
// call a committed transaction (insert, audit entry, notify) on a server with
// fsync on. Run:
//
//	go test ./server/store/postgres -run '^$' -bench 'AddReferralLatency|ListQueueLatency' -benchtime 2000x
func BenchmarkAddReferralLatency(b *testing.B) {
	for _, writers := range []int{8, 16, 32} {
		b.Run(fmt.Sprintf("writers-%d", writers), func(b *testing.B) {
			db, _ := benchDB(b)
			if n := db.PoolSize(); n < writers {
				b.Logf("pool of %d connections for %d writers", n, writers)
			}
			var seq atomic.Int64
			var mu sync.Mutex
			lat := make([]time.Duration, 0, b.N)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					local := make([]time.Duration, 0, b.N/writers+1)
					for {
						i := seq.Add(1)
						if i > int64(b.N) {
							break
						}
						t := time.Now()
						if _, _, err := db.AddReferral(context.Background(), benchReferral(int(i))); err != nil {
							b.Error(err)
							return
						}
						local = append(local, time.Since(t))
					}
					mu.Lock()
					lat = append(lat, local...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "referrals/s")
			b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(lat, 99).Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkListQueueLatency is the staff queue target: the first page of the open
// queue with 100,000 referrals stored, p99 under 100 ms.
func BenchmarkListQueueLatency(b *testing.B) {
	const n = 100_000
	db, url := benchDB(b)
	seed(b, url, n)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		page, _, err := db.ListQueue(ctx, store.QueueQuery{Limit: 50})
		if err != nil || len(page) != 50 {
			b.Fatalf("ListQueue: %d rows, %v", len(page), err)
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 99).Microseconds())/1000, "p99-ms")
}
