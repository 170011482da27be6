package handlers

import (
	"context"
	"errors"
	"fmt"
	"html"
	"sync"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/confirm"
	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Cleaner previews, runs and undoes cleanups of expired keys. Run's error is
// non-nil exactly when the report says the run failed (ErrAlreadyRunning
// when another heavy job holds the lock); Undo's likewise.
type Cleaner interface {
	Preview(ctx context.Context) (jobs.CleanupPreview, error)
	Run(ctx context.Context, opts jobs.CleanupOptions, progress func(jobs.CleanupProgress)) (jobs.CleanupReport, error)
	Undo(ctx context.Context, run string) (jobs.UndoReport, error)
}

var (
	_ Cleaner = (*jobs.Cleanup)(nil)
	_ Cleaner = jobs.RecordedCleanup{}
)

// Confirmation actions of a cleanup.
const (
	ActionCleanup     = "cleanup"
	actionCleanupStop = "cleanup_stop"
	actionCleanupUndo = "cleanup_undo"
)

// stopTTL outlives any run: the Stop button is taken back when the run ends.
const stopTTL = 48 * time.Hour

// DeleteLabel is the label of the button that confirms a cleanup.
func DeleteLabel(n int64) string { return fmt.Sprintf("Delete %s keys", humanize.Int(n)) }

// Cleanup answers /cleanup with the exact preview and [Delete N keys]
// [Cancel]; the deletion runs only from the confirmation, with a [Stop]
// button under its progress and an [Undo] button under its report.
func Cleanup(ctx context.Context, cl Cleaner, cf *Confirmer, alert Alert) tele.HandlerFunc {
	var running sync.Map // stop token → func stopping that run alone
	cf.On(ActionCleanup, func(c tele.Context, _ confirm.Pending) error {
		return runCleanup(ctx, c, cl, cf, alert, &running)
	})
	cf.OnAnswer(actionCleanupStop, "Stopping after this batch…", func(c tele.Context, p confirm.Pending) error {
		if stop, ok := running.LoadAndDelete(p.Token); ok {
			stop.(func())()
		}
		return nil
	})
	cf.On(actionCleanupUndo, func(c tele.Context, p confirm.Pending) error {
		return undoCleanup(ctx, c, p, cl, cf, alert)
	})
	return func(c tele.Context) error {
		p, err := cl.Preview(ctx)
		if err != nil {
			return send(c, titledPlain(c, "Cannot preview the cleanup: "+err.Error()))
		}
		preview := render.CleanupPreview(p, render.HTML)
		if p.ToDelete() == 0 {
			return replyHTML(c, preview+"\n\nNothing to delete.")
		}
		return cf.Offer(c, preview+"\n\nNothing is deleted before the button.", ActionCleanup, "", DeleteLabel(p.ToDelete()))
	}
}

// undoCleanup puts back the rows of the cleanup p names.
func undoCleanup(ctx context.Context, c tele.Context, p confirm.Pending, cl Cleaner, cf *Confirmer, alert Alert) error {
	prog, err := startProgress(c, "⏳ Putting the keys of cleanup "+html.EscapeString(p.Arg)+" back…")
	if err != nil {
		return err
	}
	r, err := cl.Undo(ctx, p.Arg)
	if ttl := time.Until(p.Expires); errors.Is(err, jobs.ErrAlreadyRunning) && ttl > 0 {
		// The press used the button up, and nothing happened: give it back.
		token, m := cf.Buttons(ttl, actionCleanupUndo, p.Arg, p.UserID, p.ChatID, "Undo", "")
		err := prog.finish("⏳ "+html.EscapeString(r.Error)+". Nothing was put back: press Undo again when it is done.", m)
		cf.Store.Attach(token, prog.msg.ID)
		return err
	}
	report := render.CleanupUndo(r, render.HTML)
	if err != nil && !errors.Is(err, jobs.ErrAlreadyRunning) && alert != nil {
		alert(ctx, vocab.JobCleanup, err, report, c.Chat().ID)
	}
	return prog.finish(report)
}

// runCleanup runs a confirmed cleanup under a progress message with [Stop].
func runCleanup(ctx context.Context, c tele.Context, cl Cleaner, cf *Confirmer, alert Alert, running *sync.Map) error {
	var uid int64
	if c.Sender() != nil {
		uid = c.Sender().ID
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	token, markup := cf.Buttons(stopTTL, actionCleanupStop, "", uid, c.Chat().ID, "Stop", "")
	defer func() {
		// The run is over: its Stop button answers "already done" from now on.
		running.Delete(token)
		_, _ = cf.Store.Take(token)
	}()
	prog, err := startProgressWith(c, "🧹 Cleanup starting…", markup)
	if err != nil {
		return err
	}
	cf.Store.Attach(token, prog.msg.ID)
	running.Store(token, func() {
		prog.setMarkup(nil) // the press took the button off: edits must not bring it back
		stop()
	})
	r, err := cl.Run(runCtx, jobs.CleanupOptions{Confirmed: true, Trigger: who(c)}, func(p jobs.CleanupProgress) {
		if p.Phase == jobs.PhaseVacuum {
			prog.setMarkup(nil) // nothing left to stop between
		}
		prog.update(render.CleanupProgress(p, render.HTML))
	})
	if errors.Is(err, jobs.ErrAlreadyRunning) {
		return prog.finish("⏳ " + html.EscapeString(r.Error) + ". Never two at once: try again when it is done.")
	}
	report := render.Cleanup(r, render.HTML)
	if err != nil && alert != nil {
		alert(ctx, vocab.JobCleanup, err, report, c.Chat().ID)
	}
	ttl := time.Until(r.UndoExpiry)
	if r.Run == "" || ttl <= 0 {
		return prog.finish(report)
	}
	undo, m := cf.Buttons(ttl, actionCleanupUndo, r.Run, uid, c.Chat().ID, "Undo", "")
	err = prog.finish(report, m)
	cf.Store.Attach(undo, prog.msg.ID)
	return err
}
