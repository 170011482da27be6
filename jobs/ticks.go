package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/robfig/cron/v3"
)

// parseSchedule parses a schedule as the configuration allows it: five
// cron fields, or a descriptor (@daily, @every 30s). An @every schedule is
// aligned: its ticks are the multiples of its interval, the same instants in
// every process. robfig's own @every counts from each process's start, so
// several instances would never agree on a tick, and each would claim
// (and run) its own.
func parseSchedule(expr string) (cron.Schedule, error) {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, err
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return aligned{every.Delay}, nil
	}
	return sched, nil
}

// aligned ticks on the multiples of every.
type aligned struct{ every time.Duration }

func (a aligned) Next(t time.Time) time.Time { return t.Truncate(a.every).Add(a.every) }

// granularity is how far apart two ticks of sched can be at least: a
// minute for cron fields, the interval of an @every.
func granularity(sched cron.Schedule) time.Duration {
	if a, ok := sched.(aligned); ok {
		return a.every
	}
	return time.Minute
}

// slotAt is the tick a run that fires at now is: the latest tick at or
// before now. The timer fires a little after its tick, never a whole tick
// late; a twentieth of a tick absorbs a clock that fires a hair early.
func slotAt(now time.Time, g time.Duration) time.Time {
	return now.Add(g / 20).Truncate(g)
}

// gocronSchedule is a schedule as gocron runs it (WithCronImplementation):
// parseSchedule's ticks, in the scheduler's time zone.
type gocronSchedule struct{ sched cron.Schedule }

var _ gocron.Cron = (*gocronSchedule)(nil)

func (g *gocronSchedule) IsValid(expr string, loc *time.Location, now time.Time) error {
	if !strings.HasPrefix(expr, "TZ=") && !strings.HasPrefix(expr, "CRON_TZ=") {
		expr = "CRON_TZ=" + loc.String() + " " + expr
	}
	sched, err := parseSchedule(expr)
	if err != nil {
		return fmt.Errorf("%w: %w", gocron.ErrCronJobParse, err)
	}
	if sched.Next(now).IsZero() {
		return gocron.ErrCronJobInvalid
	}
	g.sched = sched
	return nil
}

func (g *gocronSchedule) Next(last time.Time) time.Time { return g.sched.Next(last) }

// slotKey carries a scheduled run's tick to the History that records it.
type slotKey struct{}

func withSlot(ctx context.Context, slot time.Time) context.Context {
	return context.WithValue(ctx, slotKey{}, slot)
}

// slotOf is the tick ctx's run is; zero when no schedule made it.
func slotOf(ctx context.Context) time.Time {
	t, _ := ctx.Value(slotKey{}).(time.Time)
	return t
}
