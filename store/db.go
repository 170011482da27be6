// Package store owns every SQL statement pgkeeper runs and its connection pool
// to the database it guards.
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// DefaultConnectTimeout bounds a connection attempt when DATABASE_URL sets none:
// without it a silent server makes every call hang (pgx has no default).
const DefaultConnectTimeout = 3 * time.Second

// DB is a pool of connections to the guarded database.
type DB struct {
	pool  *pgxpool.Pool
	cfg   *pgxpool.Config
	sysID atomic.Pointer[string] // cached by SystemIdentifier
}

// ParseURL checks a DATABASE_URL (URL or key=value form) without connecting,
// and returns its password, for redaction (empty: none), the database it
// names and its server, for config to tell databases apart.
func ParseURL(dsn string) (config.URLParts, error) {
	cfg, err := parse(dsn)
	if err != nil {
		return config.URLParts{}, err
	}
	c := cfg.ConnConfig
	db := c.Database
	if db == "" {
		db = c.User // what the server connects to when no database is named
	}
	return config.URLParts{Password: c.Password, Database: db,
		Server: net.JoinHostPort(strings.ToLower(c.Host), strconv.Itoa(int(c.Port)))}, nil
}

func parse(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors quote the input, and the wrapped error of url.Parse
		// repeats it unredacted: keep only pgx's own reason.
		return nil, fmt.Errorf("parse database url: %s", parseReason(err))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	return cfg, nil
}

// parseReason extracts pgx's short reason ("failed to parse as URL") from a
// ParseConfigError, whose full text carries the connection string.
func parseReason(err error) string {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return "not a valid URL or key=value connection string"
	}
	msg := pe.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		msg = msg[i+3:]
	}
	if i := strings.Index(msg, " ("); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// Open prepares a pool for dsn. It does not connect: a database that is down
// at start must not stop pgkeeper from reporting that it is down.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := parse(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "pgkeeper"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	return &DB{pool: pool, cfg: cfg}, nil
}

// Close closes every connection of the pool.
func (db *DB) Close() { db.pool.Close() }

// Database is the name of the database the pool connects to.
func (db *DB) Database() string { return db.cfg.ConnConfig.Database }

// Host is the server's host and port, for reports (never with credentials).
func (db *DB) Host() string {
	return fmt.Sprintf("%s:%d", db.cfg.ConnConfig.Host, db.cfg.ConnConfig.Port)
}

// Password is the password of the connection, so callers can keep it out of
// anything they print. Empty when none is set.
func (db *DB) Password() string { return db.cfg.ConnConfig.Password }

// Ping runs SELECT 1 and returns its round-trip time, connection set-up excluded
// when a pooled connection is at hand.
func (db *DB) Ping(ctx context.Context) (time.Duration, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	start := time.Now()
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return 0, fmt.Errorf("select 1: %w", err)
	}
	return time.Since(start), nil
}

// PingNew opens a connection of its own, runs SELECT 1 and closes it: what
// the database's other clients meet when they connect (a full
// max_connections included), whatever pgkeeper's own pool holds.
func (db *DB) PingNew(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, db.cfg.ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("select 1: %w", err)
	}
	return nil
}

// PoolStats is how much of the pool is in use.
type PoolStats struct {
	InUse, Max int
}

// PoolStats reports connections acquired now against the pool's maximum.
func (db *DB) PoolStats() PoolStats {
	s := db.pool.Stat()
	return PoolStats{InUse: int(s.AcquiredConns()), Max: int(s.MaxConns())}
}

// ServerVersion returns server_version_num and the server's version string.
func (db *DB) ServerVersion(ctx context.Context) (num int, text string, err error) {
	err = db.pool.QueryRow(ctx,
		"SELECT current_setting('server_version_num')::int, current_setting('server_version')").Scan(&num, &text)
	if err != nil {
		return 0, "", fmt.Errorf("server version: %w", err)
	}
	return num, text, nil
}

// DatabaseSize is pg_database_size of the current database, in bytes.
func (db *DB) DatabaseSize(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&n); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return n, nil
}

// quote returns a safely quoted, possibly schema-qualified identifier.
func quote(name vocab.Ident) string {
	if name.Schema == "" {
		return pgx.Identifier{name.Name}.Sanitize()
	}
	return pgx.Identifier{name.Schema, name.Name}.Sanitize()
}
