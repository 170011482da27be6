package handlers

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Backupper makes a backup and reports on it; the error is non-nil exactly
// when the report says it failed.
type Backupper interface {
	Run(ctx context.Context, opts jobs.BackupOptions, progress func(jobs.BackupProgress)) (jobs.BackupReport, error)
}

var _ Backupper = (*jobs.Backup)(nil)

// Alert tells the operators (the alert chat and Sentry) that a job failed;
// report is the rendered HTML, already shown in chat shownIn (0: none).
type Alert func(ctx context.Context, component string, err error, report string, shownIn int64)

// Backup answers /backup (and /backup dry): an immediate reply, edited with
// progress, then the report. A failure also goes out as an alert.
func Backup(ctx context.Context, b Backupper, alert Alert) tele.HandlerFunc {
	return func(c tele.Context) error {
		dry := false
		switch arg := strings.TrimSpace(c.Message().Payload); arg {
		case "":
		case "dry", "dry-run", "--dry-run":
			dry = true
		default:
			return send(c, titledPlain(c, fmt.Sprintf("Unknown argument %q. Use /backup, or /backup dry to see what would happen.", arg)))
		}
		p, err := startProgress(c, "⏳ Backup starting…")
		if err != nil {
			return err
		}
		r, err := b.Run(ctx, jobs.BackupOptions{DryRun: dry, Trigger: who(c)}, func(bp jobs.BackupProgress) {
			p.update(render.BackupProgress(bp, render.HTML))
		})
		if errors.Is(err, jobs.ErrAlreadyRunning) {
			return p.finish("⏳ " + html.EscapeString(r.Error) + ". Never two at once: try again when it is done.")
		}
		report := render.Backup(r, render.HTML)
		if alert != nil {
			switch rerr := r.RemoteError(); {
			case err != nil:
				alert(ctx, vocab.JobBackup, err, report, c.Chat().ID)
			case rerr != nil:
				// A good backup that a remote lacks alerts as a failure:
				// the report, which opens with it, goes to the alert chat.
				alert(ctx, "backup remote", rerr, report, c.Chat().ID)
			}
		}
		return p.finish(report)
	}
}

// who names the person behind an update, for lock holders and job history.
func who(c tele.Context) vocab.Trigger {
	u := c.Sender()
	if u == nil {
		return vocab.TriggerChat
	}
	return vocab.ChatUser(u.ID, u.Username)
}
