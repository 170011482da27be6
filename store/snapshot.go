package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// Snapshot is an open REPEATABLE READ transaction whose snapshot is exported,
// so that pg_dump (--snapshot) and pgkeeper's own counts see the very same
// data. It must stay open until pg_dump has started.
type Snapshot struct {
	ID   string
	conn *pgxpool.Conn
	tx   pgx.Tx
}

// ExportSnapshot begins a read-only REPEATABLE READ transaction and exports its snapshot.
func (db *DB) ExportSnapshot(ctx context.Context) (*Snapshot, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot: connect: %w", err)
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		conn.Release()
		return nil, fmt.Errorf("snapshot: begin: %w", err)
	}
	s := &Snapshot{conn: conn, tx: tx}
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&s.ID); err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("snapshot: export: %w", err)
	}
	return s, nil
}

// Close ends the transaction; the snapshot is gone afterwards.
func (s *Snapshot) Close(ctx context.Context) {
	if s.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = s.tx.Rollback(ctx)
	s.conn.Release()
	s.conn = nil
}

// Tables lists the tables whose rows pg_dump dumps: ordinary and partition
// tables outside the system schemas, not owned by an extension.
func (s *Snapshot) Tables(ctx context.Context) ([]vocab.Ident, error) {
	rows, err := s.tx.Query(ctx, `
		SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (vocab.Ident, error) {
		var id vocab.Ident
		err := r.Scan(&id.Schema, &id.Name)
		return id, err
	})
}

// CountRows is the exact row count of table in the snapshot.
func (s *Snapshot) CountRows(ctx context.Context, table vocab.Ident) (int64, error) {
	var n int64
	if err := s.tx.QueryRow(ctx, "SELECT count(*) FROM "+quote(table)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// Fingerprint hashes every row of table in the snapshot (see fingerprint).
func (s *Snapshot) Fingerprint(ctx context.Context, table vocab.Ident) (string, error) {
	return fingerprint(ctx, s.tx, table)
}

// Fingerprint hashes every row of table in the current database, for
// comparison with a snapshot's.
func (db *DB) Fingerprint(ctx context.Context, table vocab.Ident) (string, error) {
	return fingerprint(ctx, db.pool, table)
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// fingerprint is the md5 of all rows' text form in primary-key order (every
// column when there is no primary key), so two copies of a small table compare
// by content, not only by count.
func fingerprint(ctx context.Context, q queryRower, table vocab.Ident) (string, error) {
	var order string
	err := q.QueryRow(ctx, `
		SELECT coalesce(string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord), '')
		FROM pg_index i
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1::regclass AND i.indisprimary`, quote(table)).Scan(&order)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: primary key: %w", table, err)
	}
	if order == "" {
		order = "t::text"
	}
	var sum string
	err = q.QueryRow(ctx, fmt.Sprintf(
		"SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY %s), '')) FROM %s t", order, quote(table))).Scan(&sum)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", table, err)
	}
	return sum, nil
}
