package web_test

import (
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os/exec"
	"testing"

	"github.com/imha-advocacy/imha/content"
	"github.com/imha-advocacy/imha/locales"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/web"
	"github.com/imha-advocacy/imha/static"
)

// newAppConfig starts the real application on a loopback port with
// PUBLIC_URL set to that port, so QR codes and printed addresses point at
// it; change adjusts the configuration (BSL videos, media).
func newAppConfig(t testing.TB, contentFS fs.FS, change func(*web.Config)) *server {
	t.Helper()
	if contentFS == nil {
		contentFS = content.FS
	}
	pages, err := library.Load(contentFS)
	if err != nil {
		t.Fatal(err)
	}
	langs, err := locale.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := web.Config{Content: pages, Locales: langs, Store: openSQLite(t), Static: static.FS, PublicURL: base,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if change != nil {
		change(&cfg)
	}
	app, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	return &server{app, base}
}

// tool finds a program the tests need. A missing one fails the test: these
// checks guard what patients get on paper and in sign language, so they
// must never be skipped quietly.
func tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (Debian package %s): run tests/run, which installs it", name, pkg)
	}
	return p
}
