package metrics

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pgkeeper/pgkeeper/internal/redact"
)

// DatabaseLabel is the label every series of a Fleet's database carries:
// the database's lower-case name, as `--db NAME` and the chat call it.
const DatabaseLabel = "database"

// Fleet is the metrics of a serve guarding several databases: one page where
// each database's series are those of a Metrics of its own, told apart by
// their database label, and the process's own series once. Its methods are
// safe for concurrent use.
type Fleet struct {
	// Redactor masks secrets in the reason /readyz gives; nil masks URL
	// passwords only. Set it before Serve.
	Redactor *redact.Redactor

	srv *Metrics // serves the shared registry; holds no gauges of its own
	mu  sync.Mutex
	dbs map[string]*Metrics
}

// NewFleet returns a Fleet of no database yet.
func NewFleet() *Fleet {
	return &Fleet{srv: &Metrics{reg: prometheus.NewRegistry(), readyTimeout: ReadyTimeout}, dbs: map[string]*Metrics{}}
}

// Database returns a new Metrics for database name, whose series appear on
// the Fleet's page with database="name" once measured, as New's do alone. A
// Metrics the name had before is dropped first: a database found again
// starts afresh rather than with figures from before it went away.
func (f *Fleet) Database(name string) *Metrics {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropLocked(name)
	m := newIn(f.srv.reg, prometheus.WrapRegistererWith(prometheus.Labels{DatabaseLabel: name}, f.srv.reg))
	m.up = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pgkeeper_database_up",
		Help: "1 if the database answered at the last status report or watch check, else 0."}, nil)
	m.into.MustRegister(m.up)
	m.collectors = append(m.collectors, m.up)
	f.dbs[name] = m
	return m
}

// Drop removes database name's series from the page: a database no longer
// guarded must not go on showing its last figures as if they were current.
// What its Metrics is told afterwards is not exported.
func (f *Fleet) Drop(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropLocked(name)
}

func (f *Fleet) dropLocked(name string) {
	m := f.dbs[name]
	if m == nil {
		return
	}
	for _, c := range m.collectors {
		m.into.Unregister(c)
	}
	delete(f.dbs, name)
}

// Handler serves /healthz, /readyz and /metrics for every database, as
// Metrics.Handler does for one; ready is the whole instance's readiness.
func (f *Fleet) Handler(ready func(context.Context) error) http.Handler {
	f.srv.Redactor = f.Redactor
	return f.srv.Handler(ready)
}

// ObserveUp records whether the database answers, from a status report or
// each check of the database watch. Only a Fleet's databases export it: with several,
// /readyz no longer fails for one that is down, so this says so instead;
// alone, /readyz does, and its series stay as they always were.
func (m *Metrics) ObserveUp(up bool) {
	if m.up == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.up.WithLabelValues().Set(v)
}

// ServeListener serves Handler(ready) on ln until ctx ends, as
// Metrics.ServeListener does, with the process's own series once.
func (f *Fleet) ServeListener(ctx context.Context, ln net.Listener, ready func(context.Context) error) error {
	f.srv.Redactor = f.Redactor
	return f.srv.ServeListener(ctx, ln, ready)
}
