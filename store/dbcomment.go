package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// sizeIfAllowedSQL is a database's size, or -1 when the role may not connect
// to it (pg_database_size would fail the whole query).
const sizeIfAllowedSQL = `SELECT CASE WHEN has_database_privilege(oid, 'CONNECT') THEN pg_database_size(oid) ELSE -1 END
	FROM pg_database WHERE datname = $1`

// CommentedDatabase is a database whose comment starts with a given prefix.
type CommentedDatabase struct {
	Name, Comment string
	SizeBytes     int64 // -1 when the role may not measure it
}

// commentedSQL lists the databases whose comment starts with $1.
const commentedSQL = `SELECT d.datname, c.description,
		CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) ELSE -1 END
	FROM pg_database d JOIN pg_shdescription c ON c.objoid = d.oid AND c.classoid = 'pg_database'::regclass
	WHERE starts_with(c.description, $1) ORDER BY d.datname`

func commented(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, prefix string) ([]CommentedDatabase, error) {
	rows, err := q.Query(ctx, commentedSQL, prefix)
	if err != nil {
		return nil, fmt.Errorf("list database comments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CommentedDatabase, error) {
		var d CommentedDatabase
		err := r.Scan(&d.Name, &d.Comment, &d.SizeBytes)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list database comments: %w", err)
	}
	return out, nil
}

// CommentedDatabases lists the server's databases whose comment starts with prefix.
func (s *Server) CommentedDatabases(ctx context.Context, prefix string) ([]CommentedDatabase, error) {
	var out []CommentedDatabase
	err := s.with(ctx, func(c *pgx.Conn) error {
		var err error
		out, err = commented(ctx, c, prefix)
		return err
	})
	return out, err
}

// CommentedDatabases lists the databases of the live server whose comment
// starts with prefix.
func (db *DB) CommentedDatabases(ctx context.Context, prefix string) ([]CommentedDatabase, error) {
	return commented(ctx, db.pool, prefix)
}

// CreateDatabaseWithComment is CreateDatabase with the comment set on the
// same connection right after the CREATE (PostgreSQL refuses CREATE DATABASE
// in a transaction or a multi-statement query, so this is as close as the
// two can be). When the comment cannot be set, the new database is dropped.
func (s *Server) CreateDatabaseWithComment(ctx context.Context, name string, loc Locale, comment string) error {
	err := s.with(ctx, func(c *pgx.Conn) error {
		if _, err := c.Exec(ctx, createDatabaseSQL(name, loc)); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, "COMMENT ON DATABASE "+ident(name)+" IS "+literal(comment)); err != nil {
			_, _ = c.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
			return fmt.Errorf("comment: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// CommentDatabase sets name's comment, or removes it when comment is "".
func (s *Server) CommentDatabase(ctx context.Context, name, comment string) error {
	value := "NULL"
	if comment != "" {
		value = literal(comment)
	}
	err := s.with(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "COMMENT ON DATABASE "+ident(name)+" IS "+value)
		return err
	})
	if err != nil {
		return fmt.Errorf("comment on database %s: %w", name, err)
	}
	return nil
}

// DatabaseComment is name's comment, "" when it has none.
func (s *Server) DatabaseComment(ctx context.Context, name string) (string, error) {
	var comment *string
	err := s.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name).Scan(&comment)
	})
	if err != nil {
		return "", fmt.Errorf("comment of database %s: %w", name, err)
	}
	if comment == nil {
		return "", nil
	}
	return *comment, nil
}

// DropDatabaseSQL is the statement an operator runs to drop name, quoted.
func DropDatabaseSQL(name string) string { return "DROP DATABASE " + ident(name) }

// ClearCommentSQL is the statement an operator runs to remove name's comment, quoted.
func ClearCommentSQL(name string) string { return "COMMENT ON DATABASE " + ident(name) + " IS NULL" }
