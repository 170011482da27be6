package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// OutcomeOf is the outcome of a report graded l.
func OutcomeOf(l Level) vocab.Outcome {
	switch l {
	case LevelOK:
		return vocab.OutcomeOK
	case LevelWarn:
		return vocab.OutcomeWarning
	default:
		return vocab.OutcomeFailed
	}
}

// ErrNoHistory is what a History without a database answers to reads.
var ErrNoHistory = errors.New("no run history: pgkeeper's schema is not available")

// maxErrorText bounds the error text kept per run: /history shows a line.
const maxErrorText = 2000

// History records every job run, whatever triggered it, in pgkeeper's
// schema. Failing to record never fails the job: it is logged instead, since
// the database that holds the history may be the very thing that is down.
// A nil History, or one without DB, records nothing and its reads return
// ErrNoHistory.
type History struct {
	DB       *store.DB
	Schema   string           // empty: store.DefaultSchema
	Now      func() time.Time // nil: time.Now
	Logger   *slog.Logger     // nil: slog.Default()
	Redactor *redact.Redactor // masks secrets in recorded errors; nil masks URL passwords only
	// Observer hears of every finished run and status report (the metrics);
	// nil: nobody. It hears even when the database cannot record them.
	Observer Observer
	// Heartbeat is how often a running run says it is alive; a run silent
	// for missedBeats of them is taken for dead. 0: DefaultHeartbeat. Every
	// instance sharing the schema must use the same.
	Heartbeat time.Duration
	// Instance names this process in the marks of the dead runs it finds;
	// empty: "host H pid P".
	Instance string
}

// Observer is told what History records, as it happens: the metrics keep
// their gauges current from it without jobs knowing of Prometheus.
// Implementations must be safe for concurrent use and must not block.
type Observer interface {
	ObserveJob(job string, ok bool, took time.Duration, at time.Time)
	ObserveBackup(m Manifest)
	ObserveRestore(rto, rpo time.Duration)
	ObserveStatus(r StatusReport)
	// ObserveRemotes hears what a backup run did on each remote, at its end.
	ObserveRemotes(at time.Time, outcomes []RemoteOutcome)
}

// RunFunc is a job run as History records it: its figures (stored as JSON;
// nil for none), its outcome (empty: derived from err) and its error.
type RunFunc func(ctx context.Context) (figures any, outcome vocab.Outcome, err error)

// Record runs run and records its job, trigger, start, end, outcome, error
// and figures, and returns run's error. Without an explicit outcome, a nil
// error is ok, ErrAlreadyRunning skipped, and any other error failed. A run
// that panics is recorded as failed and the panic goes on.
func (h *History) Record(ctx context.Context, job string, trigger vocab.Trigger, run RunFunc) (err error) {
	rec := h.Start(ctx, job, trigger)
	var figures any
	var outcome vocab.Outcome
	panicked := true
	defer func() {
		if panicked {
			r := recover()
			if r == nil { // runtime.Goexit: nothing to pass on
				rec.Finish(ctx, nil, vocab.OutcomeFailed, errors.New("the run exited without returning"))
				return
			}
			rec.Finish(ctx, nil, vocab.OutcomeFailed, fmt.Errorf("panic: %v", r))
			panic(r)
		}
		rec.Finish(ctx, figures, outcome, err)
	}()
	figures, outcome, err = run(ctx)
	panicked = false
	return err
}

// Recording is a run that Start recorded and Finish (or Discard) will end.
// Until then it beats: it tells the history every Heartbeat that the run is
// alive, so that a run whose process died is found (see AbandonDead).
type Recording struct {
	h     *History
	id    int64
	job   string
	start time.Time
	beat  heartbeat
}

// Start records that job started now, after marking as abandoned the runs
// whose process is gone. It never fails: when the run cannot be recorded, it
// logs why and the Recording's Finish does nothing. Finish or Discard must
// follow: they stop the heartbeat.
func (h *History) Start(ctx context.Context, job string, trigger vocab.Trigger) *Recording {
	rec := &Recording{h: h, job: job}
	if h == nil {
		return rec
	}
	rec.start = h.now()
	if h.DB == nil {
		return rec
	}
	h.AbandonDead(ctx, "the start of a "+job+" run ("+string(trigger)+")")
	id, err := h.DB.StartRunOf(ctx, h.schema(), store.RunStart{Job: job, Trigger: trigger, At: rec.start,
		Slot: slotOf(ctx), Instance: h.instance()})
	if err != nil {
		h.logger().Warn("could not record a job's start", "job", job, "trigger", trigger, "err", h.Redactor.Error(err))
		return rec
	}
	rec.id = id
	rec.beat.start(ctx, h, id, job)
	return rec
}

// finishBudget bounds how long Finish retries recording a run's end through
// transient errors (a database restarting): long enough for a restart, short
// enough for a shutdown to stay prompt. A run whose end is lost is found
// abandoned later.
const finishBudget = 10 * time.Second

// Finish records how the run ended (see Record for an empty outcome).
func (r *Recording) Finish(ctx context.Context, figures any, outcome vocab.Outcome, err error) {
	if r == nil || r.h == nil {
		return
	}
	r.beat.stop()
	h := r.h
	if outcome == "" {
		outcome = outcomeOf(err)
	}
	end := h.now()
	// A skipped run did no work: it leaves the last real outcome standing.
	if h.Observer != nil && outcome != vocab.OutcomeSkipped {
		h.Observer.ObserveJob(r.job, outcome == vocab.OutcomeOK || outcome == vocab.OutcomeWarning, end.Sub(r.start), end)
	}
	if r.id == 0 {
		return
	}
	var text string
	if err != nil {
		text = h.Redactor.String(err.Error())
		if r := []rune(text); len(r) > maxErrorText {
			text = string(r[:maxErrorText]) + "…"
		}
	}
	// A run cancelled by shutdown is still recorded as such.
	ctx = context.WithoutCancel(ctx)
	first, retry := time.Now(), backoff.Backoff{Min: 200 * time.Millisecond, Max: 2 * time.Second}
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ferr := h.DB.FinishRun(actx, h.schema(), r.id, end, outcome, text, figures)
		cancel()
		if ferr == nil {
			return
		}
		wait := retry.Next()
		if !store.Transient(ferr) || time.Since(first)+wait > finishBudget {
			h.logger().Warn("could not record a job's end; the run will be marked abandoned",
				"job", r.job, "run", r.id, "err", h.Redactor.Error(ferr))
			return
		}
		h.logger().Info("could not record a job's end yet; retrying",
			"job", r.job, "run", r.id, "retry_in", wait, "err", h.Redactor.Error(ferr))
		time.Sleep(wait)
	}
}

// EndIfPanicking, deferred right after Start, records a run whose job
// panicked as failed, stopping its heartbeat, and lets the panic go on: a
// process that recovers from it (the bot does) would otherwise keep the
// run "running", and beating, for as long as it lives.
func (r *Recording) EndIfPanicking(ctx context.Context) {
	if p := recover(); p != nil {
		r.Finish(ctx, nil, vocab.OutcomeFailed, fmt.Errorf("panic: %v", p))
		panic(p)
	}
}

func outcomeOf(err error) vocab.Outcome {
	switch {
	case err == nil:
		return vocab.OutcomeOK
	case errors.Is(err, ErrAlreadyRunning):
		return vocab.OutcomeSkipped
	default:
		return vocab.OutcomeFailed
	}
}

// Discard forgets a run that Start recorded, as if it never began: a
// scheduled attempt that found another heavy job running is retried, and
// only the attempt that runs (or the scheduler giving up) belongs in the
// history.
func (r *Recording) Discard(ctx context.Context) {
	if r == nil || r.id == 0 {
		return
	}
	r.beat.stop()
	h := r.h
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := h.DB.DeleteRun(ctx, h.schema(), r.id); err != nil {
		h.logger().Warn("could not forget a retried run", "job", r.job, "run", r.id, "err", h.Redactor.Error(err))
	}
	r.id = 0
}

// HistoryReport is what /history shows: the last runs, newest first.
type HistoryReport struct {
	At   time.Time
	Runs []vocab.Run
	// Total, Offset and Filter say which page of which runs Runs is (Page);
	// Report leaves them zero.
	Total, Offset int
	Filter        HistoryFilter
}

// Report returns the newest limit runs.
func (h *History) Report(ctx context.Context, limit int) (HistoryReport, error) {
	r := HistoryReport{At: h.now()}
	if h == nil || h.DB == nil {
		return r, ErrNoHistory
	}
	runs, err := h.DB.LastRuns(ctx, h.schema(), limit)
	if err != nil {
		return r, fmt.Errorf("history: %w", err)
	}
	r.Runs = runs
	return r, nil
}

// LastRuns returns each job's newest finished run by job name, for /schedule,
// /status and the metrics.
func (h *History) LastRuns(ctx context.Context) (map[string]vocab.Run, error) {
	if h == nil || h.DB == nil {
		return nil, ErrNoHistory
	}
	runs, err := h.DB.LastRunPerJob(ctx, h.schema())
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return runs, nil
}

// SampleStatus stores a status report's sizes for the trend charts: the
// database's size, and the keys table's size and row count, when known.
func (h *History) SampleStatus(ctx context.Context, r StatusReport) {
	if h == nil {
		return
	}
	if h.Observer != nil {
		h.Observer.ObserveStatus(r)
	}
	h.sample(ctx, sizeSamples(r))
}

// sizeSamples are the figures of r the trend charts draw: the database's
// size, and the keys table's size and row count, when known.
func sizeSamples(r StatusReport) []store.Sample {
	var samples []store.Sample
	if r.Database.Reachable && r.Database.SizeBytes > 0 {
		samples = append(samples, store.Sample{At: r.At, Metric: store.MetricDatabaseBytes, Value: r.Database.SizeBytes})
	}
	for _, t := range r.Tables {
		if t.Error == "" && t.Table == r.Keys.Table && t.TotalBytes > 0 {
			samples = append(samples,
				store.Sample{At: r.At, Metric: store.MetricKeysTableBytes, Value: t.TotalBytes},
				store.Sample{At: r.At, Metric: store.MetricKeysRows, Value: t.Rows})
		}
	}
	return samples
}

// SampleBackup stores a successful backup's size and duration (and the
// database's size it saw) for the trend charts.
func (h *History) SampleBackup(ctx context.Context, r BackupReport) {
	if h == nil || !r.OK() || r.DryRun || r.Manifest.End.IsZero() {
		return
	}
	m := r.Manifest
	if h.Observer != nil {
		h.Observer.ObserveBackup(m)
		if len(r.Remotes) > 0 {
			h.Observer.ObserveRemotes(m.End, r.Remotes)
		}
	}
	h.sample(ctx, []store.Sample{
		{At: m.End, Metric: store.MetricBackupBytes, Value: m.CompressedBytes},
		{At: m.End, Metric: store.MetricBackupMillis, Value: m.Duration.Milliseconds()},
		{At: m.End, Metric: store.MetricDatabaseBytes, Value: m.DatabaseBytes},
	})
}

// Samples returns the samples taken since, oldest first, of metrics (none:
// all), for the charts.
func (h *History) Samples(ctx context.Context, since time.Time, metrics ...string) ([]store.Sample, error) {
	if h == nil || h.DB == nil {
		return nil, ErrNoHistory
	}
	s, err := h.DB.Samples(ctx, h.schema(), since, metrics...)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return s, nil
}

// sample stores samples; like recording a run, it never fails the caller.
func (h *History) sample(ctx context.Context, samples []store.Sample) {
	if h == nil || h.DB == nil || len(samples) == 0 {
		return
	}
	if err := h.DB.AddSamples(ctx, h.schema(), samples...); err != nil {
		h.logger().Warn("could not store size samples", "err", h.Redactor.Error(err))
	}
}

func (h *History) schema() string {
	if h.Schema == "" {
		return store.DefaultSchema
	}
	return h.Schema
}

func (h *History) now() time.Time {
	if h != nil && h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *History) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}
