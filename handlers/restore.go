package handlers

import (
	"context"
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/confirm"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// RestoreTester previews and runs restore tests.
type RestoreTester interface {
	Preview(ctx context.Context, backup string) (jobs.RestorePreview, error)
	Run(ctx context.Context, opts jobs.RestoreOptions, progress func(jobs.RestoreProgress)) (jobs.RestoreReport, error)
}

var _ RestoreTester = (*jobs.RestoreTest)(nil)

// RestoreTest answers /restore_test [backup] with a preview and buttons; the
// test runs only from the confirmation.
func RestoreTest(ctx context.Context, t RestoreTester, cf *Confirmer, alert Alert) tele.HandlerFunc {
	cf.On("restore", func(c tele.Context, p confirm.Pending) error {
		prog, err := startProgress(c, "⏳ Restore test starting…")
		if err != nil {
			return err
		}
		r, err := t.Run(ctx, jobs.RestoreOptions{Backup: p.Arg, Trigger: who(c)}, func(rp jobs.RestoreProgress) {
			prog.update(render.RestoreProgress(rp, render.HTML))
		})
		report := render.RestoreTest(r, render.HTML)
		if err != nil && alert != nil {
			alert(ctx, vocab.JobRestoreTest, err, report, c.Chat().ID)
		}
		return prog.finish(report)
	})
	return func(c tele.Context) error {
		return offerRestore(ctx, c, t, cf, strings.TrimSpace(c.Message().Payload))
	}
}

// offerRestore previews a restore test of backup name ("": the newest) and
// offers it with [Run restore test] [Cancel]: /restore_test NAME, and a
// backup's button under /backups.
func offerRestore(ctx context.Context, c tele.Context, t RestoreTester, cf *Confirmer, name string) error {
	p, err := t.Preview(ctx, name)
	if err != nil {
		return send(c, titledPlain(c, "Cannot run a restore test: "+err.Error()))
	}
	return cf.Offer(c, render.RestorePreview(p, render.HTML), "restore", p.Backup.Name, "Run restore test")
}
