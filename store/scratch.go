package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// Scratch database naming: <db>_pgkeeper_restore_<UTC yyyymmdd_hhmmss>. The
// time is in the name because nothing in the catalog says when a database was
// created (pg_stat_file of its directory needs superuser and moves with every
// write), and lower case digits need no quoting when an operator types it.
const (
	scratchInfix      = "_pgkeeper_restore_"
	scratchTimeLayout = "20060102_150405"
	maxIdentBytes     = 63 // NAMEDATALEN-1: PostgreSQL silently truncates longer names
)

// ScratchPrefix is the prefix of every scratch database made for live database
// db. A long db is cut (on a character boundary) and tagged with a hash of the
// whole name, so that a name fits in 63 bytes (a truncated name would not be
// the one pgkeeper later drops) and two long names sharing a beginning do not
// sweep each other's scratch databases.
func ScratchPrefix(db string) string {
	room := maxIdentBytes - len(scratchInfix) - len(scratchTimeLayout)
	if len(db) > room {
		h := fnv.New32a()
		h.Write([]byte(db))
		tag := fmt.Sprintf("_%08x", h.Sum32())
		cut := db
		for len(cut) > room-len(tag) {
			_, size := utf8.DecodeLastRuneInString(cut)
			cut = cut[:len(cut)-size]
		}
		db = cut + tag
	}
	return db + scratchInfix
}

// ScratchName is the scratch database for live database db made at t.
func ScratchName(db string, t time.Time) string {
	return ScratchPrefix(db) + t.UTC().Format(scratchTimeLayout)
}

// ScratchDatabase is a scratch database found on a server, with the time its
// name says it was made.
type ScratchDatabase struct {
	Name      string
	Created   time.Time
	SizeBytes int64 // -1 when the role may not measure it
	Sessions  int   // sessions connected to it now
}

// IsScratchOf reports whether name is exactly a scratch database of live
// database db (ScratchPrefix(db), then a valid UTC timestamp and nothing
// more), and when its name says it was made. Nothing else may be dropped as
// a leftover: not another database's scratch, not a name that merely starts
// alike.
func IsScratchOf(db, name string) (time.Time, bool) {
	stamp, ok := strings.CutPrefix(name, ScratchPrefix(db))
	if !ok {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(scratchTimeLayout, stamp, time.UTC)
	if err != nil || t.Format(scratchTimeLayout) != stamp {
		return time.Time{}, false
	}
	return t, true
}

// Server is a PostgreSQL server reached through one of its databases (usually
// the maintenance database "postgres"), where restore tests make their scratch
// databases. Each call uses its own short-lived connection: CREATE and DROP
// DATABASE cannot run in a transaction, and nothing should linger.
type Server struct {
	cfg  *pgx.ConnConfig
	held *heldConn // set by Hold: one connection for several calls
}

type heldConn struct {
	mu sync.Mutex // a pgx.Conn serves one call at a time
	c  *pgx.Conn
}

// OpenServer prepares a Server for dsn, its database replaced by dbname when
// dbname is not empty. It does not connect.
func OpenServer(dsn, dbname string) (*Server, error) {
	cfg, err := parse(dsn)
	if err != nil {
		return nil, err
	}
	cc := cfg.ConnConfig.Copy()
	if dbname != "" {
		cc.Database = dbname
	}
	cc.RuntimeParams["application_name"] = "pgkeeper"
	return &Server{cfg: cc}, nil
}

// Host is the server's host and port, for reports (never with credentials).
func (s *Server) Host() string { return fmt.Sprintf("%s:%d", s.cfg.Host, s.cfg.Port) }

// Database is the database the Server connects to.
func (s *Server) Database() string { return s.cfg.Database }

func (s *Server) with(ctx context.Context, f func(*pgx.Conn) error) error {
	if h := s.held; h != nil {
		h.mu.Lock()
		defer h.mu.Unlock()
		return f(h.c)
	}
	c, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	return f(c)
}

func (s *Server) connect(ctx context.Context) (*pgx.Conn, error) {
	c, err := pgx.ConnectConfig(ctx, s.cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s/%s: %w", s.Host(), s.cfg.Database, err)
	}
	return c, nil
}

// Server is the server db lives on, on one of db's pooled connections until
// release: for reads of what every database of a server sees alike (its
// databases, their comments, its identifier), without a connection of
// their own.
func (db *DB) Server(ctx context.Context) (_ *Server, release func(), _ error) {
	pc, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", db.Host(), err)
	}
	return &Server{cfg: db.cfg.ConnConfig, held: &heldConn{c: pc.Conn()}}, pc.Release, nil
}

// Hold returns the Server on one connection kept open until release, for
// a few reads in a row: each connection costs the server a backend start
// and a SCRAM exchange (35 ms of its CPU on the benchmark machine), and an
// overview of twenty databases asked for sixty.
func (s *Server) Hold(ctx context.Context) (_ *Server, release func(), _ error) {
	c, err := s.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &Server{cfg: s.cfg, held: &heldConn{c: c}}, func() { c.Close(context.WithoutCancel(ctx)) }, nil
}

// ServerVersion returns the server's server_version_num.
func (s *Server) ServerVersion(ctx context.Context) (int, error) {
	var n int
	err := s.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("server version: %w", err)
	}
	return n, nil
}

// DataDirectory is the server's data directory, or "" when the role may not
// read it (superusers and pg_read_all_settings may).
func (s *Server) DataDirectory(ctx context.Context) string {
	var dir string
	_ = s.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, dataDirectorySQL).Scan(&dir)
	})
	return dir
}

// dataDirectorySQL reads the data directory: superusers and
// pg_read_all_settings may, others get an error.
const dataDirectorySQL = "SELECT current_setting('data_directory')"

// DataDirectory is the server's data directory, or "" when the role may not
// read it.
func (db *DB) DataDirectory(ctx context.Context) string {
	var dir string
	_ = db.pool.QueryRow(ctx, dataDirectorySQL).Scan(&dir)
	return dir
}

// Locale is a database's encoding and collation, so a scratch database can
// match the live one (a restore into another encoding can fail or change text).
type Locale struct {
	Encoding, Collate, Ctype string
}

// Locale returns the current database's encoding and collation.
func (db *DB) Locale(ctx context.Context) (Locale, error) {
	var l Locale
	err := db.pool.QueryRow(ctx, `SELECT pg_encoding_to_char(encoding), datcollate, datctype
		FROM pg_database WHERE datname = current_database()`).Scan(&l.Encoding, &l.Collate, &l.Ctype)
	if err != nil {
		return l, fmt.Errorf("database locale: %w", err)
	}
	return l, nil
}

// CreateDatabase creates an empty database called name from template0 (a
// template1 with extensions in it would make the restore fail on objects that
// already exist), with loc's encoding and collation when loc is not zero.
func (s *Server) CreateDatabase(ctx context.Context, name string, loc Locale) error {
	err := s.with(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, createDatabaseSQL(name, loc))
		return err
	})
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func createDatabaseSQL(name string, loc Locale) string {
	sql := "CREATE DATABASE " + ident(name) + " TEMPLATE template0"
	if loc.Encoding != "" {
		sql += " ENCODING " + literal(loc.Encoding) + " LC_COLLATE " + literal(loc.Collate) + " LC_CTYPE " + literal(loc.Ctype)
	}
	return sql
}

// DatabaseExists reports whether the server has a database called name.
func (s *Server) DatabaseExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := s.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok)
	})
	if err != nil {
		return false, fmt.Errorf("look for database %s: %w", name, err)
	}
	return ok, nil
}

// literal quotes a string constant for the few statements that take no parameters.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// DropDatabase drops name if it exists, disconnecting whoever is still in it
// (WITH (FORCE), PostgreSQL 13+): a scratch database must never survive a
// lingering connection.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	err := s.with(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
		return err
	})
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// ScratchDatabases lists the scratch databases of live database db on the
// server, oldest first, with their sizes. Only names of exactly pgkeeper's
// form are returned (IsScratchOf).
func (s *Server) ScratchDatabases(ctx context.Context, db string) ([]ScratchDatabase, error) {
	var out []ScratchDatabase
	err := s.with(ctx, func(c *pgx.Conn) error {
		// Filtered here, not with LIKE: "_" and "%" in a database name are wildcards.
		rows, err := c.Query(ctx, "SELECT datname FROM pg_database ORDER BY datname")
		if err != nil {
			return err
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, n := range names {
			t, ok := IsScratchOf(db, n)
			if !ok {
				continue
			}
			out = append(out, ScratchDatabase{Name: n, Created: t, SizeBytes: -1})
		}
		// Measured one by one, and only these: sizing every database would
		// walk every directory on the server.
		for i := range out {
			_ = c.QueryRow(ctx, sizeIfAllowedSQL, out[i].Name).Scan(&out[i].SizeBytes)
			err := c.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", out[i].Name).Scan(&out[i].Sessions)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list scratch databases: %w", err)
	}
	return out, nil
}

// OpenDatabase opens a pool on database name of this server, with the
// Server's credentials: how a restore test counts rows in its scratch database.
func (s *Server) OpenDatabase(ctx context.Context, name string) (*DB, error) {
	pc, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	pc.ConnConfig = s.cfg.Copy()
	pc.ConnConfig.Database = name
	pc.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return &DB{pool: pool, cfg: pc}, nil
}

// Tables lists the tables of the current database whose rows a dump holds,
// as "schema.name" like a backup's manifest names them.
func (db *DB) Tables(ctx context.Context) (map[string]vocab.Ident, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg\_%'`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (vocab.Ident, error) {
		var id vocab.Ident
		err := r.Scan(&id.Schema, &id.Name)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	out := make(map[string]vocab.Ident, len(ids))
	for _, id := range ids {
		out[id.Schema+"."+id.Name] = id
	}
	return out, nil
}

// Identity says which database of which server a connection reached, however
// its URL was spelled (localhost or 127.0.0.1, URL or key=value, a proxy or a
// DNS alias): the server's system identifier (shared by physical replicas and
// clones, so not enough alone), its postmaster's start time and port (which
// tell two running servers apart), and the database's name and oid.
type Identity struct {
	SystemID uint64 // 0 when the role may not call pg_control_system()
	Started  time.Time
	Port     int
	Database string
	OID      uint32
}

// SameServer reports whether a and b are databases of the same running server.
func (a Identity) SameServer(b Identity) bool {
	sameSystem := a.SystemID == 0 || b.SystemID == 0 || a.SystemID == b.SystemID
	return sameSystem && a.Started.Equal(b.Started) && a.Port == b.Port
}

// SameDatabase reports whether a and b are the same database of the same
// running server.
func (a Identity) SameDatabase(b Identity) bool {
	sameSystem := a.SystemID == 0 || b.SystemID == 0 || a.SystemID == b.SystemID
	return sameSystem && a.Started.Equal(b.Started) && a.Port == b.Port && a.OID == b.OID && a.Database == b.Database
}

const identitySQL = `SELECT pg_postmaster_start_time(), current_setting('port')::int, current_database(),
	(SELECT oid FROM pg_database WHERE datname = current_database())`

// sysIDSQL is apart: pg_control_system() may be revoked from ordinary roles,
// and the identity still holds without it.
const sysIDSQL = "SELECT system_identifier FROM pg_control_system()"

func identify(ctx context.Context, q queryRower) (Identity, error) {
	var id Identity
	if err := q.QueryRow(ctx, identitySQL).Scan(&id.Started, &id.Port, &id.Database, &id.OID); err != nil {
		return id, fmt.Errorf("identify database: %w", err)
	}
	var sys int64
	if q.QueryRow(ctx, sysIDSQL).Scan(&sys) == nil {
		id.SystemID = uint64(sys)
	}
	return id, nil
}

// Identity identifies the database the pool connects to.
func (db *DB) Identity(ctx context.Context) (Identity, error) { return identify(ctx, db.pool) }

// Identity identifies the database the Server connects to.
func (s *Server) Identity(ctx context.Context) (Identity, error) {
	var id Identity
	err := s.with(ctx, func(c *pgx.Conn) error {
		var err error
		id, err = identify(ctx, c)
		return err
	})
	return id, err
}
