// Package config reads the server's settings from the environment, with
// defaults that run the product with no set-up at all.
package config

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting the server takes.
type Config struct {
	Port            int           // PORT, default 8080
	DataDir         string        // DATA_DIR, default ./data: the embedded SQLite database lives here
	DatabaseURL     string        // DATABASE_URL: when set, PostgreSQL instead of SQLite
	ContentDir      string        // CONTENT_DIR: read content from this folder instead of the binary
	LocalesDir      string        // LOCALES_DIR: likewise for message files
	StaticDir       string        // STATIC_DIR: likewise for static files
	MediaDir        string        // MEDIA_DIR: BSL videos and bsl.yaml; default CONTENT_DIR/media, else ./content/media if present
	PublicURL       string        // PUBLIC_URL: base of absolute links, e.g. https://advocacy.example
	Origins         []string      // ALLOWED_ORIGINS: extra origins allowed to post and open websockets
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT, default 20s: how long in-flight requests get on SIGTERM
	ShutdownDrain   time.Duration // SHUTDOWN_DRAIN, default 1s: serving on, /readyz 503, before the listener closes
	// RetentionMonths is RETENTION_MONTHS, default 14 (POhWER's policy): `purge`
	// deletes records this many months after last contact.
	RetentionMonths int
}

// DefaultRetentionMonths follows POhWER: records are deleted 14 months after last contact.
const DefaultRetentionMonths = 14

// FromEnv reads the configuration; a malformed value is an error that names
// the variable, never a silent default.
func FromEnv() (Config, error) { return parse(os.Getenv) }

func parse(getenv func(string) string) (Config, error) {
	c := Config{
		Port: 8080, DataDir: "./data", ShutdownTimeout: 20 * time.Second, ShutdownDrain: time.Second, RetentionMonths: DefaultRetentionMonths,
		DatabaseURL: getenv("DATABASE_URL"), ContentDir: getenv("CONTENT_DIR"),
		LocalesDir: getenv("LOCALES_DIR"), StaticDir: getenv("STATIC_DIR"), MediaDir: getenv("MEDIA_DIR"),
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return c, fmt.Errorf("PORT=%q: want a port number from 1 to 65535", v)
		}
		c.Port = p
	}
	if v := getenv("DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if v := getenv("PUBLIC_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("PUBLIC_URL=%q: want an absolute http(s) URL", v)
		}
		c.PublicURL = strings.TrimSuffix(v, "/")
	}
	for _, o := range strings.Split(getenv("ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			return c, fmt.Errorf("ALLOWED_ORIGINS: %q is not an origin like https://kiosk.example", o)
		}
		c.Origins = append(c.Origins, o)
	}
	if v := getenv("SHUTDOWN_DRAIN"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return c, fmt.Errorf("SHUTDOWN_DRAIN=%q: want a duration like 1s (0 for none)", v)
		}
		c.ShutdownDrain = d
	}
	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("SHUTDOWN_TIMEOUT=%q: want a duration like 20s", v)
		}
		c.ShutdownTimeout = d
	}
	if v := getenv("RETENTION_MONTHS"); v != "" {
		// At least a month: a typo of 0 must not delete everything.
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 1200 {
			return c, fmt.Errorf("RETENTION_MONTHS=%q: want a number of months from 1 to 1200", v)
		}
		c.RetentionMonths = m
	}
	return c, nil
}
