package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/imha-advocacy/imha/server/config"
)

// purgeActor is the audit actor of scheduled retention runs.
const purgeActor = "system:retention"

// RetentionCutoff is the moment before which a record's last contact puts it past
// retention: months before now.
func RetentionCutoff(now time.Time, months int) time.Time {
	return now.UTC().AddDate(0, -months, 0)
}

// purge applies the retention policy (RETENTION_MONTHS after last contact, default
// 14): run it daily from cron or a scheduler. -dry-run counts without deleting.
func purge(ctx context.Context, cfg config.Config, args []string, out io.Writer, now time.Time) error {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	fs.SetOutput(out)
	dryRun := fs.Bool("dry-run", false, "count what would be deleted, change nothing")
	months := fs.Int("months", cfg.RetentionMonths, "delete records this many months after last contact (default RETENTION_MONTHS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *months < 1 {
		return fmt.Errorf("purge: -months=%d: want at least 1", *months)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	cutoff := RetentionCutoff(now, *months)
	c, err := st.PurgeBefore(ctx, cutoff, purgeActor, *dryRun)
	if err != nil {
		return err
	}
	verb := "deleted"
	if *dryRun {
		verb = "would delete"
	}
	_, err = fmt.Fprintf(out, "%s (last contact before %s): %d referrals, %d opt-outs, %d chat sessions, %d feedback comments\n",
		verb, cutoff.Format(time.RFC3339), c.Referrals, c.OptOuts, c.ChatSessions, c.FeedbackComments)
	return err
}
