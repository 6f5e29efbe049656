// Command load holds many guided-chat sessions open against a running server
// and steps each through the whole self-referral flow, with the gorilla
// websocket client. It reports sessions held, step round-trip percentiles
// and the server's memory per idle session (read from /proc, so run it on
// the server's machine with -pid).
//
//	go run ./tests/load -url ws://127.0.0.1:8080 -sessions 10000 -pid $(pidof imha)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// answers walks the referral flow: one answer per node.
var answers = map[string][2]string{
	"intro": {"choose", "_next"}, "name": {"text", "Load Test"}, "ward": {"text", "Oak ward"},
	"status": {"choose", "s3"}, "language": {"choose", "en"}, "interpreter": {"choose", "no"},
	"comms": {"choose", "none"}, "contact": {"choose", "visit"}, "contact_time": {"choose", "any"},
	"help": {"choose", "_skip"}, "meeting": {"choose", "none"}, "private": {"choose", "yes"},
	"consent": {"choose", "yes"}, "equality": {"choose", "no"}, "check": {"choose", "_submit"},
}

type frame struct {
	Type, Token, Node, Code, Reason string
}

type client struct {
	conn *websocket.Conn
	seq  int
	node string
}

// step sends one frame and waits for the state frame that ends the reply.
func (c *client) step(f map[string]any) (time.Duration, error) {
	c.seq++
	f["seq"] = c.seq
	start := time.Now()
	if err := c.conn.WriteJSON(f); err != nil {
		return 0, err
	}
	for {
		var fr frame
		if err := c.conn.ReadJSON(&fr); err != nil {
			return 0, err
		}
		switch fr.Type {
		case "state":
			c.node = fr.Node
			return time.Since(start), nil
		case "bye":
			return 0, fmt.Errorf("bye: %s", fr.Reason)
		case "error":
			if fr.Code != "" {
				return 0, fmt.Errorf("error frame: %s", fr.Code)
			}
		}
	}
}

func rss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return -1
}

func main() {
	base := flag.String("url", "ws://127.0.0.1:8080", "server base URL (ws://host:port)")
	n := flag.Int("sessions", 1000, "concurrent sessions")
	pid := flag.Int("pid", 0, "server process id, to measure its memory")
	ramp := flag.Duration("ramp", 20*time.Second, "time over which to open the sessions")
	settle := flag.Duration("settle", 5*time.Second, "wait with all sessions idle before measuring memory")
	think := flag.Duration("think", 0, "mean pause before each answer (uniform 0.5x-1.5x), as a person reading; 0 answers at once (saturation)")
	flag.Parse()
	origin := strings.Replace(strings.Replace(*base, "ws://", "http://", 1), "wss://", "https://", 1)
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}

	before := rss(*pid)
	clients := make([]*client, *n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	gap := *ramp / time.Duration(*n)
	start := time.Now()
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conn, _, err := dialer.Dial(*base+"/en/chat/ws", http.Header{"Origin": {origin}})
			if err != nil {
				failed.Add(1)
				return
			}
			c := &client{conn: conn}
			if _, err := c.step(map[string]any{"type": "start", "flow": "referral"}); err != nil {
				failed.Add(1)
				conn.Close()
				return
			}
			clients[i] = c
		}(i)
		time.Sleep(gap)
	}
	wg.Wait()
	held := 0
	for _, c := range clients {
		if c != nil {
			held++
		}
	}
	fmt.Printf("opened %d sessions (%d failed) in %s\n", held, failed.Load(), time.Since(start).Round(time.Millisecond))
	time.Sleep(*settle)
	after := rss(*pid)
	if *pid > 0 && held > 0 {
		fmt.Printf("server RSS: %.1f MiB before, %.1f MiB with %d idle sessions: %.1f KiB per idle session\n",
			float64(before)/(1<<20), float64(after)/(1<<20), held, float64(after-before)/float64(held)/1024)
	}

	// Every session walks the referral flow to the end, all at once.
	var mu sync.Mutex
	var rtts []time.Duration
	var stepErrs atomic.Int64
	var done atomic.Int64
	start = time.Now()
	for _, c := range clients {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func(c *client) {
			defer wg.Done()
			defer c.conn.Close()
			local := make([]time.Duration, 0, 20)
			for i := 0; c.node != "sent" && i < 30; i++ {
				if *think > 0 {
					time.Sleep(*think/2 + time.Duration(rand.Int64N(int64(*think))))
				}
				a, ok := answers[c.node]
				if !ok {
					stepErrs.Add(1)
					return
				}
				d, err := c.step(map[string]any{"type": a[0], "value": a[1], "node": c.node})
				if err != nil {
					stepErrs.Add(1)
					return
				}
				local = append(local, d)
			}
			if c.node == "sent" {
				done.Add(1)
			}
			mu.Lock()
			rtts = append(rtts, local...)
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	took := time.Since(start)
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	pct := func(p float64) time.Duration {
		if len(rtts) == 0 {
			return 0
		}
		return rtts[int(float64(len(rtts)-1)*p)]
	}
	out := map[string]any{
		"think_seconds": think.Seconds(), "sessions_held": held, "sessions_failed": failed.Load(), "referrals_sent": done.Load(),
		"steps": len(rtts), "step_errors": stepErrs.Load(), "seconds": took.Seconds(),
		"steps_per_second": float64(len(rtts)) / took.Seconds(),
		"p50_ms":           pct(0.50).Seconds() * 1000, "p95_ms": pct(0.95).Seconds() * 1000, "p99_ms": pct(0.99).Seconds() * 1000,
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(b))
	if failed.Load() > 0 || stepErrs.Load() > 0 {
		os.Exit(1)
	}
}
