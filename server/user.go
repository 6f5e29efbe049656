package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/imha-advocacy/imha/server/staff"
	"github.com/imha-advocacy/imha/server/store"
)

// userCmd manages staff accounts from the command line, chiefly to create the first
// administrator:
//
//	go run ./server user add --email a@b.example --name "A Person" --role admin [--ward W] [--password-stdin]
//
// With --password-stdin the password is the first line of standard input; otherwise
// one is generated and printed once.
func userCmd(ctx context.Context, st store.StaffStore, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(`usage: server user add --email ADDRESS --name "NAME" --role advocate|coordinator|ward_staff|admin [--ward WARD] [--password-stdin]`)
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	email := fs.String("email", "", "sign-in email address")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "advocate, coordinator, ward_staff or admin")
	ward := fs.String("ward", "", "ward (ward staff only)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	pw, generated := "", false
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		pw, generated = staff.NewToken()[:20], true
	}
	hash, err := staff.HashPassword(pw)
	if err != nil {
		return err
	}
	u, err := st.CreateUser(ctx, store.User{Email: *email, Name: *name, Role: *role, Ward: *ward, PasswordHash: hash}, "system:cli")
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		return fmt.Errorf("--%s is %s", strings.ReplaceAll(ve.Field, "_", "-"), strings.ReplaceAll(ve.Code, "_", " "))
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("an account with email %s already exists", store.NormalizeEmail(*email))
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "created %s (%s), id %d\n", u.Email, u.Role, u.ID)
	if generated {
		fmt.Fprintf(stdout, "password (shown once): %s\n", pw)
	}
	return nil
}
