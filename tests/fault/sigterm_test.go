package fault

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	_ "modernc.org/sqlite"
)

// shutdownTimeout is the SHUTDOWN_TIMEOUT the server gets.
const shutdownTimeout = 10 * time.Second

var formKey = regexp.MustCompile(`name="key" value="([A-Za-z0-9_-]{16,64})"`)

// request is one HTTP exchange as the client saw it.
type request struct {
	method      string
	key         string
	connectedAt time.Time // zero if the connection was never made
	status      int
	err         error
}

// chatRun is one chat session as the client saw it.
type chatRun struct {
	token string
	acked int // steps answered with a state frame
	err   error
}

// TestSIGTERMUnderLoad stops the real server binary with SIGTERM while page
// feedback is posted and chat sessions step, then checks what the signal promises:
// requests already on a connection get their response, the process exits 0 within
// SHUTDOWN_TIMEOUT, and the SQLite file is intact with every acknowledged write in it.
func TestSIGTERMUnderLoad(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "imha")
	build := exec.Command("go", "build", "-o", bin, "./server")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	var logs bytes.Buffer
	srv := exec.Command(bin)
	srv.Dir = build.Dir
	srv.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "DATA_DIR="+filepath.Join(dir, "data"),
		"SHUTDOWN_TIMEOUT="+shutdownTimeout.String(), "DATABASE_URL=")
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		if srv.ProcessState == nil {
			_ = srv.Process.Kill()
		}
	})
	waitHealthy(t, base, exited, &logs)

	var (
		mu        sync.Mutex
		requests  []request
		chats     []chatRun
		saved     atomic.Int64
		stop      = make(chan struct{})
		wg        sync.WaitGroup
		signalled atomic.Bool
	)
	record := func(r request) {
		mu.Lock()
		requests = append(requests, r)
		mu.Unlock()
	}
	// One connection per request, so "was it accepted before the signal" is the
	// moment its connection was made.
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		Timeout:       shutdownTimeout + 5*time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	do := func(req *http.Request, key string) (request, []byte) {
		r := request{method: req.Method, key: key}
		trace := &httptrace.ClientTrace{ConnectDone: func(_, _ string, err error) {
			if err == nil {
				r.connectedAt = time.Now()
			}
		}}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		req.Header.Set("Origin", base)
		res, err := client.Do(req)
		if err != nil {
			r.err = err
			return r, nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		r.status, r.err = res.StatusCode, err
		return r, body
	}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				get, _ := http.NewRequest("GET", base+"/en/what-is-an-imha", nil)
				r, body := do(get, "")
				record(r)
				m := formKey.FindSubmatch(body)
				if m == nil {
					if r.err == nil && !signalled.Load() {
						t.Errorf("page without a form key: %d", r.status)
					}
					time.Sleep(10 * time.Millisecond)
					continue
				}
				form := url.Values{"key": {string(m[1])}, "page": {"what-is-an-imha"}, "variant": {"standard"},
					"helpful": {"yes"}, "comment": {"Clear, thank you."}}
				post, _ := http.NewRequest("POST", base+"/en/feedback", strings.NewReader(form.Encode()))
				post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r, _ = do(post, string(m[1]))
				record(r)
				if r.status == http.StatusSeeOther {
					saved.Add(1)
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := runChat(base, stop)
				mu.Lock()
				chats = append(chats, c)
				mu.Unlock()
				if c.err != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}

	deadline := time.Now().Add(30 * time.Second)
	for saved.Load() < 150 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	signalAt := time.Now()
	signalled.Store(true)
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Keep the load on while the server drains, so requests arrive mid-shutdown.
	time.Sleep(500 * time.Millisecond)
	close(stop)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("server exit: %v\n%s", err, logs.String())
		}
		took := time.Since(signalAt)
		if took > shutdownTimeout {
			t.Errorf("server took %v to exit, more than SHUTDOWN_TIMEOUT %v", took, shutdownTimeout)
		}
		t.Logf("server exited 0 %v after SIGTERM", took.Round(time.Millisecond))
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatalf("server still running %v after SIGTERM\n%s", shutdownTimeout+5*time.Second, logs.String())
	}
	wg.Wait()

	// Requests on a connection made before the signal must have had a response;
	// later ones may only have been refused a connection.
	var before, after, refusedLater int
	var keys []string
	for _, r := range requests {
		accepted := !r.connectedAt.IsZero() && r.connectedAt.Before(signalAt)
		switch {
		case accepted:
			before++
			if r.err != nil {
				t.Errorf("%s accepted before SIGTERM got no response: %v", r.method, r.err)
			}
		case r.err != nil:
			refusedLater++
			if !errors.Is(r.err, syscall.ECONNREFUSED) && r.connectedAt.IsZero() {
				var op *net.OpError
				if !errors.As(r.err, &op) {
					t.Errorf("%s after SIGTERM: %v, want connection refused", r.method, r.err)
				}
			}
		default:
			after++
		}
		if r.err == nil && r.status >= 500 {
			t.Errorf("%s got %d", r.method, r.status)
		}
		if r.status == http.StatusSeeOther {
			keys = append(keys, r.key)
		}
	}
	t.Logf("%d requests accepted before SIGTERM, %d answered after it, %d refused after it; %d feedback saved (303); %d chat sessions",
		before, after, refusedLater, len(keys), len(chats))

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "data", "imha.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	for _, k := range keys {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM feedback WHERE idempotency_key = ?", k).Scan(&n); err != nil || n != 1 {
			t.Errorf("feedback %s acknowledged with 303: stored %d times, %v", k, n, err)
		}
	}
	var steps int
	for _, c := range chats {
		if c.token == "" {
			continue
		}
		steps += c.acked
		sum := sha256.Sum256([]byte(c.token))
		var version int
		err := db.QueryRow("SELECT version FROM chat_sessions WHERE token = ?", hex.EncodeToString(sum[:])).Scan(&version)
		// The server saves before it answers, so the stored version is the steps
		// answered, or one more if a step was saved but its answer cut off.
		if err != nil || version < c.acked || version > c.acked+1 {
			t.Errorf("chat session with %d answered steps: stored version %d, %v", c.acked, version, err)
		}
	}
	if len(keys) < 150 || steps == 0 {
		t.Errorf("too little load to prove anything: %d feedback, %d chat steps", len(keys), steps)
	}
}

func waitHealthy(t *testing.T, base string, exited chan error, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("server exited at start: %v\n%s", err, logs.String())
		default:
		}
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server not healthy within a minute\n%s", logs.String())
}

// chatAnswers walks the referral flow, one answer per node (as tests/load does).
var chatAnswers = map[string]string{
	"intro": "_next", "status": "s3", "language": "en", "interpreter": "no", "comms": "none",
	"contact": "visit", "contact_time": "any", "help": "_skip", "meeting": "none", "private": "yes",
	"consent": "yes", "equality": "no",
}

// runChat opens a chat, starts the referral flow and answers steps until the flow
// needs something it has no answer for, or stop closes.
func runChat(base string, stop chan struct{}) chatRun {
	var run chatRun
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws := "ws" + strings.TrimPrefix(base, "http") + "/en/chat/ws"
	conn, _, err := d.Dial(ws, http.Header{"Origin": {base}})
	if err != nil {
		run.err = err
		return run
	}
	defer conn.Close()
	seq := 0
	step := func(f map[string]any) (string, error) {
		seq++
		f["seq"] = seq
		_ = conn.SetWriteDeadline(time.Now().Add(shutdownTimeout))
		_ = conn.SetReadDeadline(time.Now().Add(shutdownTimeout))
		if err := conn.WriteJSON(f); err != nil {
			return "", err
		}
		for {
			var fr struct{ Type, Token, Node, Code, Reason string }
			if err := conn.ReadJSON(&fr); err != nil {
				return "", err
			}
			switch fr.Type {
			case "state":
				if fr.Token != "" {
					run.token = fr.Token
				}
				run.acked++
				return fr.Node, nil
			case "bye":
				return "", fmt.Errorf("bye: %s", fr.Reason)
			case "error":
				if fr.Code != "" {
					return "", fmt.Errorf("error frame: %s", fr.Code)
				}
			}
		}
	}
	node, err := step(map[string]any{"type": "start", "flow": "referral"})
	for err == nil {
		select {
		case <-stop:
			return run
		default:
		}
		ans, ok := chatAnswers[node]
		if !ok {
			return run
		}
		node, err = step(map[string]any{"type": "choose", "value": ans, "node": node})
	}
	run.err = err
	return run
}
