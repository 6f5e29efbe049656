package config

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Config) bool
		wantErr string
	}{
		{"defaults", nil, func(c Config) bool {
			return c.Port == 8080 && c.DataDir == "./data" && c.DatabaseURL == "" && c.ShutdownTimeout == 20*time.Second && c.ShutdownDrain == time.Second &&
				c.RetentionMonths == 14
		}, ""},
		{"retention", map[string]string{"RETENTION_MONTHS": "24"}, func(c Config) bool { return c.RetentionMonths == 24 }, ""},
		{"retention zero", map[string]string{"RETENTION_MONTHS": "0"}, nil, "RETENTION_MONTHS"},
		{"retention words", map[string]string{"RETENTION_MONTHS": "14 months"}, nil, "RETENTION_MONTHS"},
		{"all set", map[string]string{"PORT": "9000", "DATA_DIR": "/var/lib/imha", "DATABASE_URL": "postgres://x", "PUBLIC_URL": "https://a.example/", "ALLOWED_ORIGINS": "https://k.example, http://localhost:3000", "SHUTDOWN_TIMEOUT": "5s"},
			func(c Config) bool {
				return c.Port == 9000 && c.DataDir == "/var/lib/imha" && c.DatabaseURL == "postgres://x" && c.PublicURL == "https://a.example" && len(c.Origins) == 2 && c.ShutdownTimeout == 5*time.Second
			}, ""},
		{"bad port", map[string]string{"PORT": "eighty"}, nil, "PORT"},
		{"port out of range", map[string]string{"PORT": "70000"}, nil, "PORT"},
		{"relative public URL", map[string]string{"PUBLIC_URL": "advocacy.example"}, nil, "PUBLIC_URL"},
		{"origin with path", map[string]string{"ALLOWED_ORIGINS": "https://k.example/kiosk"}, nil, "ALLOWED_ORIGINS"},
		{"bad timeout", map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, nil, "SHUTDOWN_TIMEOUT"},
		{"bad drain", map[string]string{"SHUTDOWN_DRAIN": "-1s"}, nil, "SHUTDOWN_DRAIN"},
		{"no drain", map[string]string{"SHUTDOWN_DRAIN": "0s"}, func(c Config) bool { return c.ShutdownDrain == 0 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Fatalf("parse = %+v, %v", c, err)
			}
		})
	}
}
