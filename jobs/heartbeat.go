package jobs

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// DefaultHeartbeat is how often a running run tells the history it is alive.
const DefaultHeartbeat = 20 * time.Second

// missedBeats is how many heartbeats a run may miss before it is taken for
// dead: one late beat (a slow database, a busy machine) is no death, and a
// restart of the database shorter than this costs no run its outcome.
const missedBeats = 3

// heartbeat is a Recording's beating goroutine; its zero value is stopped.
type heartbeat struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// start beats for run id every Heartbeat until stop. It outlives ctx's
// cancellation on purpose: a run cancelled by shutdown is still winding down
// and alive until Finish.
func (b *heartbeat) start(ctx context.Context, h *History, id int64, job string) {
	ctx, b.cancel = context.WithCancel(context.WithoutCancel(ctx))
	b.done = make(chan struct{})
	every := h.heartbeat()
	go func() {
		defer close(b.done)
		t := time.NewTicker(every)
		defer t.Stop()
		failing := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			alive, err := h.DB.Heartbeat(bctx, h.schema(), id)
			cancel()
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				if !failing {
					h.logger().Warn("a running job cannot tell the history it is alive", "job", job, "run", id, "err", h.Redactor.Error(err))
				}
				failing = true
			case !alive:
				// Another process found it silent (its database was away
				// too long): the real end, when recorded, replaces the mark.
				h.logger().Warn("a running job was marked abandoned while it ran; its end will replace the mark", "job", job, "run", id)
				return
			default:
				if failing {
					h.logger().Info("a running job's heartbeat is back", "job", job, "run", id)
				}
				failing = false
			}
		}
	}()
}

// stop ends the beating and waits for its goroutine; it is idempotent.
func (b *heartbeat) stop() {
	if b.cancel == nil {
		return
	}
	b.cancel()
	<-b.done
	b.cancel = nil
}

// AbandonDead marks as abandoned the runs whose process is gone: still
// "running", but silent for more than missedBeats heartbeats (on the
// database's clock, so no instance's clock matters). It records when they
// were found and by what: this process, at when (e.g. "serve start"). Serve
// calls it at start, and Start before every run. A live run of another
// instance is never touched, however long it has run. It never fails: what
// goes wrong is logged. It returns the runs it marked.
func (h *History) AbandonDead(ctx context.Context, when string) []vocab.Run {
	if h == nil || h.DB == nil {
		return nil
	}
	by := when + " on " + h.instance()
	runs, err := h.DB.AbandonRuns(ctx, h.schema(), missedBeats*h.heartbeat(), by)
	if err != nil {
		h.logger().Warn("could not look for runs whose process is gone", "err", h.Redactor.Error(err))
		return nil
	}
	for _, r := range runs {
		h.logger().Warn("marked a run abandoned: its process stopped before recording its end",
			"job", r.Job, "run", r.ID, "trigger", r.Trigger, "started", r.StartedAt, "last_sign_of_life", r.EndedAt, "found_by", by)
	}
	h.observeAbandoned(ctx, runs)
	return runs
}

// observeAbandoned tells the Observer of each abandoned run that is its
// job's newest ended run: the job's last outcome is now a failure.
func (h *History) observeAbandoned(ctx context.Context, runs []vocab.Run) {
	if h.Observer == nil || len(runs) == 0 {
		return
	}
	last, err := h.DB.LastRunPerJob(ctx, h.schema())
	if err != nil {
		h.logger().Warn("could not read the jobs' last runs", "err", h.Redactor.Error(err))
		return
	}
	for _, r := range runs {
		if last[r.Job].ID == r.ID {
			h.Observer.ObserveJob(r.Job, false, r.Duration(), r.EndedAt)
		}
	}
}

func (h *History) heartbeat() time.Duration {
	if h.Heartbeat > 0 {
		return h.Heartbeat
	}
	return DefaultHeartbeat
}

// instance names this process: which machine, which process.
func (h *History) instance() string {
	if h.Instance != "" {
		return h.Instance
	}
	host, err := os.Hostname()
	if err != nil {
		host = "?"
	}
	return fmt.Sprintf("host %s pid %d", host, os.Getpid())
}
