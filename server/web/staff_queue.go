package web

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

const queuePageSize = 50

type queueView struct {
	Rows     []queueRow
	Next     string // href of the next page, "" at the end
	Self     string // href of this page (the refresh link)
	Fragment string // href of this page's table alone, for the live script
	Filter   queueFilter
	Statuses []referral.Status
	Kinds    []referral.Kind
	Flags    []string
}

type queueFilter struct{ Status, Kind, Flag, Ward string }

type queueRow struct {
	R     referral.Referral
	Flags []string
	Due   promise
}

// parseQueueFilter reads the filters from the query string; unknown values are
// ignored rather than refused, so a stale bookmark still shows a queue.
func parseQueueFilter(c *fiber.Ctx) (queueFilter, store.QueueQuery) {
	f := queueFilter{
		Status: utils.CopyString(c.Query("status")), Kind: utils.CopyString(c.Query("kind")),
		Flag: utils.CopyString(c.Query("flag")), Ward: utils.CopyString(c.Query("ward")),
	}
	q := store.QueueQuery{Limit: queuePageSize}
	if s := referral.Status(f.Status); s.Valid() {
		q.Statuses = []referral.Status{s}
	} else if f.Status == "all" {
		q.Statuses = referral.Statuses
	} else {
		f.Status = ""
	}
	if k := referral.Kind(f.Kind); referralKindKnown(k) {
		q.Kinds = []referral.Kind{k}
	} else {
		f.Kind = ""
	}
	if fl, ok := referral.ParseFlag(f.Flag); ok {
		q.Flags = fl
	} else {
		f.Flag = ""
	}
	if len(f.Ward) > store.WardMaxLen {
		f.Ward = ""
	}
	q.Ward = f.Ward
	if after := c.Query("after"); after != "" {
		if _, err := store.ParseCursor(after); err == nil {
			q.After = utils.CopyString(after)
		}
	}
	return f, q
}

func referralKindKnown(k referral.Kind) bool {
	for _, v := range referral.Kinds {
		if v == k {
			return true
		}
	}
	return false
}

func (f queueFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "kind": f.Kind, "flag": f.Flag, "ward": f.Ward} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func (a *App) loadQueue(c *fiber.Ctx) (*queueView, error) {
	f, q := parseQueueFilter(c)
	ctx, cancel := storeCtx(c)
	defer cancel()
	page, next, err := a.cfg.Store.ListQueue(ctx, q)
	if err != nil {
		return nil, err
	}
	days := a.promiseDays()
	now := a.staff.now()
	qv := &queueView{Filter: f, Statuses: referral.Statuses, Kinds: referral.Kinds}
	for fl := referral.Flags(1); fl <= referral.FlagMeetingSoon; fl <<= 1 {
		qv.Flags = append(qv.Flags, fl.Names()...)
	}
	for _, r := range page {
		qv.Rows = append(qv.Rows, queueRow{R: r, Flags: r.Flags.Names(), Due: promiseFor(r, days, now)})
	}
	vals := f.values()
	self := vals
	if q.After != "" {
		self = url.Values{}
		for k, v := range vals {
			self[k] = v
		}
		self.Set("after", q.After)
	}
	qv.Self = "/staff/queue" + query(self)
	qv.Fragment = "/staff/queue/fragment" + query(self)
	if next != "" {
		n := url.Values{}
		for k, v := range vals {
			n[k] = v
		}
		n.Set("after", next)
		qv.Next = "/staff/queue" + query(n)
	}
	return qv, nil
}

func query(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func (a *App) queuePage(c *fiber.Ctx) error {
	qv, err := a.loadQueue(c)
	if err != nil {
		return err
	}
	v := a.staffView(c, a.staffT().T("staff.queue.title"))
	v.Queue = qv
	return a.staffSend(c, fiber.StatusOK, "queue", v)
}

// queueFragment is the queue table alone, which the live script swaps in.
func (a *App) queueFragment(c *fiber.Ctx) error {
	qv, err := a.loadQueue(c)
	if err != nil {
		return err
	}
	v := a.staffView(c, "")
	v.Queue = qv
	var buf []byte
	w := &byteWriter{&buf}
	if err := a.staff.tmpl["queue"].ExecuteTemplate(w, "queue_table", v); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf)
}

type byteWriter struct{ b *[]byte }

func (w *byteWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }

// sseLifetime ends each event stream before WriteTimeout would cut it; the browser's
// EventSource reconnects by itself and the page re-queries on every (re)connect, so
// nothing is missed.
const sseLifetime = 10 * time.Second

// queueEvents streams "a referral changed" events. Each event carries only the id,
// never patient data; the page then re-fetches its queue fragment.
func (a *App) queueEvents(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		// Subscribe here, not before: a response whose body is never written (HEAD)
		// must not leave a subscription behind.
		ch, stop := a.staff.queue.subscribe()
		defer stop()
		end := time.NewTimer(sseLifetime)
		defer end.Stop()
		// A comment now and then notices a closed page, which ends the stream.
		ping := time.NewTicker(time.Second)
		defer ping.Stop()
		// Tell the page to re-query now: it may have missed changes while connecting.
		fmt.Fprintf(w, "retry: 2000\nevent: requery\ndata: 0\n\n")
		if w.Flush() != nil {
			return
		}
		for {
			select {
			case id := <-ch:
				if id == store.Requery {
					fmt.Fprintf(w, "event: requery\ndata: 0\n\n")
				} else {
					fmt.Fprintf(w, "event: changed\ndata: %d\n\n", id)
				}
				if w.Flush() != nil {
					return
				}
			case <-ping.C:
				fmt.Fprintf(w, ": ping\n\n")
				if w.Flush() != nil {
					return
				}
			case <-end.C:
				return
			}
		}
	})
	return nil
}

// queueHub shares one store listener among every open queue page: PostgreSQL
// holds a connection per listener, so one per browser would not scale. It listens
// only while someone is subscribed.
type queueHub struct {
	st     store.ReferralNotifier
	mu     sync.Mutex
	subs   map[chan int64]struct{}
	cancel context.CancelFunc
}

func newQueueHub(st store.ReferralNotifier) *queueHub {
	return &queueHub{st: st, subs: map[chan int64]struct{}{}}
}

func (h *queueHub) subscribe() (<-chan int64, func()) {
	ch := make(chan int64, 16)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	if h.cancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel = cancel
		go func() { _ = h.st.ListenReferrals(ctx, h.broadcast) }()
	}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, ch)
		if len(h.subs) == 0 && h.cancel != nil {
			h.cancel()
			h.cancel = nil
		}
	}
}

// broadcast never blocks the listener: a page too slow to take an id is told to
// re-query instead.
func (h *queueHub) broadcast(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- id:
		default:
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- store.Requery:
			default:
			}
		}
	}
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func auditEntry(actor, action, subject, detail string) referral.AuditEntry {
	return referral.AuditEntry{Actor: actor, Action: action, Subject: subject, Detail: detail}
}
