// Command queue measures the staff queue page with many referrals stored:
// it seeds referrals straight into the store, creates a coordinator, signs
// in through the real form, then times GET /staff/queue from several
// clients at once and prints the percentiles.
//
//	go run ./tests/bench/queue -db "$DATABASE_URL" -url http://127.0.0.1:8094 -seed 100000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/staff"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/postgres"
)

func main() {
	dbURL := flag.String("db", os.Getenv("DATABASE_URL"), "the server's PostgreSQL database")
	base := flag.String("url", "http://127.0.0.1:8094", "the running server")
	seed := flag.Int("seed", 100000, "referrals to store first (0: use what is there)")
	n := flag.Int("requests", 2000, "queue page requests")
	clients := flag.Int("clients", 8, "concurrent clients")
	flag.Parse()
	ctx := context.Background()
	st, err := postgres.Open(ctx, *dbURL)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < *seed; i += 16 {
				if _, _, err := st.AddReferral(ctx, fixture(i)); err != nil {
					log.Fatal(err)
				}
			}
		}(w)
	}
	wg.Wait()
	if *seed > 0 {
		fmt.Printf("seeded %d referrals in %s\n", *seed, time.Since(start).Round(time.Millisecond))
	}

	email, pw := fmt.Sprintf("bench-%d@advocacy.example", time.Now().UnixNano()), "a long bench password 1"
	hash, err := staff.HashPassword(pw)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.User{Email: email, Name: "Bench", Role: "coordinator", PasswordHash: hash}, "system:bench"); err != nil {
		log.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	page, err := get(client, *base+"/staff/login")
	if err != nil {
		log.Fatal(err)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		log.Fatal("no sign-in token on /staff/login")
	}
	res, err := client.PostForm(*base+"/staff/login", url.Values{"csrf": {m[1]}, "email": {email}, "password": {pw}})
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	if body, err := get(client, *base+"/staff/queue"); err != nil || !regexp.MustCompile(`<table`).MatchString(body) {
		log.Fatalf("not signed in, or no queue table: %v", err)
	}

	lat := make([]time.Duration, *n)
	next := make(chan int)
	start = time.Now()
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				if _, err := get(client, *base+"/staff/queue"); err != nil {
					log.Fatal(err)
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	for i := 0; i < *n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return lat[int(float64(len(lat)-1)*p)].Seconds() * 1000 }
	fmt.Printf("GET /staff/queue x %d, %d clients: %.0f pages/s, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n",
		*n, *clients, float64(*n)/took.Seconds(), pct(0.5), pct(0.95), pct(0.99))
}

func get(c *http.Client, u string) (string, error) {
	res, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", u, res.Status)
	}
	return string(b), err
}

// fixture is referral i: a spread of kinds, sections and under-served groups,
// so the queue's priority ordering has real work to do.
func fixture(i int) referral.Referral {
	statuses := []referral.LegalStatus{referral.LegalS2, referral.LegalS3, referral.LegalCTO, referral.LegalS37, referral.LegalNotSure}
	ages := []referral.AgeGroup{referral.Age18To64, referral.AgeUnder18, referral.AgeOver65, ""}
	r := referral.Referral{
		IdempotencyKey: fmt.Sprintf("bench-queue-%010d", i),
		Kind:           referral.KindSelf,
		Person:         referral.Person{Name: fmt.Sprintf("Person %d", i), Ward: fmt.Sprintf("Ward %d", i%12)},
		LegalStatus:    statuses[i%len(statuses)],
		Language:       "en",
		Contact:        referral.Contact{Method: referral.ContactInPerson},
		Consent:        referral.Consent{Given: true},
		Source:         referral.SourceChat,
		Equality:       referral.Equality{AgeGroup: ages[i%len(ages)]},
	}
	return r
}
