// Package service is the long-running `pgkeeper serve` process: the
// schedules and what a scheduled run tells the alert chat, the catch-up
// backup, the database watch, the start-up wait, Sentry check-ins and
// events, and the metrics endpoint. It reaches the chat through a Notifier
// and an Offerer declared here, which the outbox and the bot implement.
package service
