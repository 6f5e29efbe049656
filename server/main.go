// Command server is the IMHA information kiosk and referral service.
//
//	go run ./server            serve (the default)
//	go run ./server serve      serve on PORT with the store in DATABASE_URL or DATA_DIR
//	go run ./server migrate    apply database migrations and exit
//	go run ./server healthcheck  exit 0 if the server on PORT answers /healthz (for Docker)
//	go run ./server check-content  check the content (file:line for each problem) and print coverage
//	go run ./server purge [-dry-run] [-months N]  delete records past retention (RETENTION_MONTHS after last contact)
//	go run ./server user add --email a@b --name "A" --role admin   add a staff account (see user.go)
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/imha-advocacy/imha/content"
	"github.com/imha-advocacy/imha/kiosk"
	"github.com/imha-advocacy/imha/locales"
	"github.com/imha-advocacy/imha/server/bsl"
	"github.com/imha-advocacy/imha/server/chat"
	"github.com/imha-advocacy/imha/server/config"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/postgres"
	"github.com/imha-advocacy/imha/server/store/sqlite"
	"github.com/imha-advocacy/imha/server/web"
	"github.com/imha-advocacy/imha/static"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	slog.SetDefault(log)
	if err := run(os.Args[1:], log); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(args []string, log *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		st, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		log.Info("migrations applied")
		return st.Close()
	case "healthcheck":
		return healthcheck(cfg)
	case "check-content":
		return checkContent(cfg, os.Stdout, os.Stderr)
	case "purge":
		return purge(ctx, cfg, args[1:], os.Stdout, time.Now())
	case "user":
		st, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		return userCmd(ctx, st, args[1:], os.Stdin, os.Stdout)
	case "help", "-h", "--help":
		fmt.Println("usage: server [serve|migrate|healthcheck|check-content|purge [-dry-run] [-months N]|user add]")
		return nil
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, healthcheck, check-content, purge or user)", cmd)
	}
}

// dir returns the embedded folder, or the one an environment variable names.
func dir(override string, embedded fs.FS) fs.FS {
	if override != "" {
		return os.DirFS(override)
	}
	return embedded
}

// mediaFS is the folder of BSL videos: MEDIA_DIR, else CONTENT_DIR/media,
// else ./content/media when run from the repository, else the embedded
// manifest alone. Videos are never embedded: they would swell the binary
// and every deploy, and a provider adds them by dropping in files.
func mediaFS(cfg config.Config) fs.FS {
	switch {
	case cfg.MediaDir != "":
		return os.DirFS(cfg.MediaDir)
	case cfg.ContentDir != "":
		return os.DirFS(filepath.Join(cfg.ContentDir, "media"))
	}
	if st, err := os.Stat(filepath.Join("content", "media")); err == nil && st.IsDir() {
		return os.DirFS(filepath.Join("content", "media"))
	}
	return content.Media()
}

// mediaDirName is how messages name the media folder.
func mediaDirName(cfg config.Config) string {
	switch {
	case cfg.MediaDir != "":
		return cfg.MediaDir
	case cfg.ContentDir != "":
		return filepath.Join(cfg.ContentDir, "media")
	}
	return "content/media"
}

// openStore opens PostgreSQL when DATABASE_URL is set, else the embedded
// SQLite database in DATA_DIR; either way migrations are applied.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		db, err := postgres.Open(ctx, cfg.DatabaseURL) // migrates under an advisory lock
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		return db, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("DATA_DIR: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "imha.db"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return db, nil
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	pages, err := library.Load(dir(cfg.ContentDir, content.FS))
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	langs, err := locale.Load(dir(cfg.LocalesDir, locales.FS))
	if err != nil {
		return err
	}
	contentFS, localesFS := dir(cfg.ContentDir, content.FS), dir(cfg.LocalesDir, locales.FS)
	known, err := chat.MessageIDs(localesFS, "active."+locale.Source+".toml")
	if err != nil {
		return err
	}
	engine, err := chat.Load(contentFS, known)
	if err != nil {
		return fmt.Errorf("chat flows: %w", err)
	}
	media := mediaFS(cfg)
	videos, err := bsl.Load(media, filepath.Join(mediaDirName(cfg), bsl.ManifestFile))
	if err != nil {
		return fmt.Errorf("BSL videos: %w", err)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	wardsFile, wardsSrc := "kiosk/wards.yaml", kiosk.Default
	if f := os.Getenv("KIOSK_CONFIG"); f != "" {
		if wardsSrc, err = os.ReadFile(f); err != nil {
			return fmt.Errorf("KIOSK_CONFIG: %w", err)
		}
		wardsFile = f
	}
	wards, err := kiosk.Load(wardsFile, wardsSrc)
	if err != nil {
		return err
	}
	app, err := web.New(web.Config{
		Content: pages, Locales: langs, Chat: engine, Store: st, Static: dir(cfg.StaticDir, static.FS),
		PublicURL: cfg.PublicURL, Origins: cfg.Origins, Logger: log, BSL: videos, Media: media,
		Wards: wards, WardsFile: wardsFile,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	log.Info("serving", "addr", ln.Addr().String(), "languages", len(langs.Languages()), "pages", len(pages.IDs()), "store", storeKind(cfg))
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// SIGTERM: report not ready and keep serving while load balancers notice,
	// then stop accepting, let in-flight requests finish, and close the store.
	// Chat sockets simply close: their clients resume the stored session.
	log.Info("shutting down", "drain", cfg.ShutdownDrain, "timeout", cfg.ShutdownTimeout)
	app.Drain()
	time.Sleep(cfg.ShutdownDrain)
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// healthcheck probes the running server; the container image has no curl.
func healthcheck(cfg config.Config) error {
	client := http.Client{Timeout: 3 * time.Second}
	res, err := client.Get("http://127.0.0.1:" + strconv.Itoa(cfg.Port) + "/healthz")
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", res.Status)
	}
	return nil
}

func storeKind(cfg config.Config) string {
	if cfg.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}
