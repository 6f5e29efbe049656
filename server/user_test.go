package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/imha-advocacy/imha/server/staff"
	"github.com/imha-advocacy/imha/server/store/sqlite"
)

func TestUserAdd(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "imha.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out bytes.Buffer
	err = userCmd(ctx, st, []string{"add", "--email", "Admin@Example.org", "--name", "First Admin", "--role", "admin"}, strings.NewReader(""), &out)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`password \(shown once\): (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no generated password in %q", out.String())
	}
	u, err := st.GetUserByEmail(ctx, "admin@example.org")
	if err != nil || u.Role != "admin" || !staff.VerifyPassword(u.PasswordHash, m[1]) {
		t.Fatalf("user %+v %v", u, err)
	}
	tests := []struct {
		args  []string
		stdin string
		ok    bool
	}{
		{[]string{"add", "--email", "w@example.org", "--name", "Wren", "--role", "ward_staff", "--ward", "Willow", "--password-stdin"}, "a long enough password\n", true},
		{[]string{"add", "--email", "x@example.org", "--name", "X", "--role", "admin", "--password-stdin"}, "short\n", false},
		{[]string{"add", "--email", "admin@example.org", "--name", "Again", "--role", "admin"}, "", false},
		{[]string{"add", "--email", "y@example.org", "--name", "Y", "--role", "root"}, "", false},
		{[]string{"remove"}, "", false},
	}
	for _, tt := range tests {
		out.Reset()
		err := userCmd(ctx, st, tt.args, strings.NewReader(tt.stdin), &out)
		if (err == nil) != tt.ok {
			t.Errorf("%v: %v", tt.args, err)
		}
		if strings.Contains(out.String(), "shown once") && strings.Contains(strings.Join(tt.args, " "), "stdin") {
			t.Errorf("%v printed a password it was given", tt.args)
		}
	}
	w, err := st.GetUserByEmail(ctx, "w@example.org")
	if err != nil || w.Ward != "Willow" || !staff.VerifyPassword(w.PasswordHash, "a long enough password") {
		t.Errorf("ward staff %+v %v", w, err)
	}
}
