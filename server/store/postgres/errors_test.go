package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/imha-advocacy/imha/server/store"
)

func TestMapErr(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		transient bool
	}{
		{"serialization failure", &pgconn.PgError{Code: "40001"}, true},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"wrapped", fmt.Errorf("query: %w", &pgconn.PgError{Code: "40001"}), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"bad password", &pgconn.PgError{Code: "28P01"}, false},
		{"undefined table", &pgconn.PgError{Code: "42P01"}, false},
		{"caller cancelled", context.Canceled, false},
		{"plain error", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapErr(tt.err)
			if errors.Is(got, store.ErrUnavailable) != tt.transient {
				t.Errorf("mapErr(%v) = %v; transient = %v, want %v", tt.err, got, !tt.transient, tt.transient)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("mapErr(%v) = %v lost the cause", tt.err, got)
			}
		})
	}
}
