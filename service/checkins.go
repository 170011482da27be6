package service

import (
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
)

// sentryCheckIns reports every scheduled run to Sentry Crons: in progress,
// then ok or error. The monitor carries the schedule, so Sentry itself raises
// the alarm when a run never happens, even while pgkeeper is down.
type sentryCheckIns struct{ hub *sentry.Hub }

// monitorSlug is the monitor of job ("backup:crm" → pgkeeper-backup-crm:
// slugs take no colon).
func monitorSlug(job string) string { return "pgkeeper-" + strings.ReplaceAll(job, ":", "-") }

// Started opens a check-in and returns its id.
func (s sentryCheckIns) Started(job, cron string, loc *time.Location) string {
	id := s.hub.CaptureCheckIn(&sentry.CheckIn{MonitorSlug: monitorSlug(job), Status: sentry.CheckInStatusInProgress},
		&sentry.MonitorConfig{Schedule: sentry.CrontabSchedule(cron), Timezone: loc.String(), CheckInMargin: 10, MaxRuntime: 180})
	if id == nil {
		return ""
	}
	return string(*id)
}

// Finished closes the check-in as ok or error.
func (s sentryCheckIns) Finished(id, job string, err error, took time.Duration) {
	status := sentry.CheckInStatusOK
	if err != nil {
		status = sentry.CheckInStatusError
	}
	s.hub.CaptureCheckIn(&sentry.CheckIn{ID: sentry.EventID(id), MonitorSlug: monitorSlug(job), Status: status, Duration: took}, nil)
}
