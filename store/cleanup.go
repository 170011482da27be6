package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// Column names of the Baileys schema that the cleanup's protection rules rely
// on: they are facts of the schema, not configuration.
const (
	colCompany = "company_id"
	colKeyType = "key_type"
	colKeyID   = "key_id"
	colCreds   = "creds"
	// PreKeyType is the key_type of Baileys' one-time pre-keys.
	PreKeyType = "pre-key"
	// CredentialsTable is Baileys' credentials table: losing a row of it logs
	// a number out, so no cleanup ever deletes from it, whatever the
	// configuration says.
	CredentialsTable = "whatsapp_auth"
)

// ErrCredentialsTable is returned for a cleanup aimed at the credentials table.
var ErrCredentialsTable = errors.New("refusing to delete from the credentials table")

// CleanupSpec says which rows of a keys table a cleanup deletes: rows whose
// age column is before Cutoff or whose expires column is before Now, except
// rows of a protected key_type and each company's current pre-key.
type CleanupSpec struct {
	Table         vocab.Ident
	AgeColumn     string
	ExpiresColumn string      // "" turns the expires rule off
	AuthTable     vocab.Ident // where each company's creds (nextPreKeyId) live
	Protected     []string
	Cutoff        time.Time
	Now           time.Time
}

// Check refuses a spec that could touch the credentials table or smuggle SQL
// in through a column name. The database-side check (the same relation under
// another spelling) runs before every count and walk.
func (s CleanupSpec) Check() error {
	sameAsAuth := strings.EqualFold(s.Table.Name, s.AuthTable.Name) && s.Table.Schema == s.AuthTable.Schema
	if strings.EqualFold(s.Table.Name, CredentialsTable) || sameAsAuth {
		return fmt.Errorf("%w %s", ErrCredentialsTable, s.Table)
	}
	if s.Table.Name == "" || s.AuthTable.Name == "" {
		return errors.New("cleanup: keys table and auth table must be named")
	}
	for _, c := range []string{s.AgeColumn, s.ExpiresColumn} {
		if c != "" && !vocab.Plain(c) {
			return fmt.Errorf("cleanup: %q is not a plain column name", c)
		}
	}
	if s.AgeColumn == "" {
		return errors.New("cleanup: the age column must be named")
	}
	if s.Cutoff.IsZero() || s.Now.IsZero() || s.Cutoff.After(s.Now) {
		return fmt.Errorf("cleanup: cutoff %s must be set and before now", s.Cutoff)
	}
	return nil
}

// checkKeysTable resolves the keys table in the database and refuses it when
// it is the credentials table under any spelling (schema-qualified, or the
// configured auth table by another name). It returns the table's relkind.
func checkKeysTable(ctx context.Context, q queryRower, spec CleanupSpec) (string, error) {
	var same bool
	var relname, relkind string
	err := q.QueryRow(ctx, `SELECT c.oid = to_regclass($2), c.relname, c.relkind::text FROM pg_class c WHERE c.oid = $1::regclass`,
		quote(spec.Table), quote(spec.AuthTable)).Scan(&same, &relname, &relkind)
	if err != nil {
		return "", fmt.Errorf("cleanup: table %s: %w", spec.Table, err)
	}
	if same || strings.EqualFold(relname, CredentialsTable) {
		return "", fmt.Errorf("%w %s", ErrCredentialsTable, spec.Table)
	}
	return relkind, nil
}

// args are the named arguments of every cleanup statement.
func (s CleanupSpec) args() pgx.NamedArgs {
	protected := s.Protected
	if protected == nil {
		protected = []string{} // pgx would send a nil slice as NULL
	}
	return pgx.NamedArgs{"cutoff": s.Cutoff, "now": s.Now, "protected": protected}
}

// expiredSQL is true when row x is past the cutoff or past its expiry.
func (s CleanupSpec) expiredSQL(x string) string {
	e := fmt.Sprintf("coalesce(%s.%s < @cutoff::timestamptz, false)", x, ident(s.AgeColumn))
	if s.ExpiresColumn != "" {
		e += fmt.Sprintf(" OR coalesce(%s.%s < @now::timestamptz, false)", x, ident(s.ExpiresColumn))
	}
	return "(" + e + ")"
}

// protectedSQL is true when row x is of a protected key type.
func protectedSQL(x string) string {
	return fmt.Sprintf("coalesce(%s.%s = ANY(@protected::text[]), false)", x, colKeyType)
}

// currentSQL is true when row x is its company's current pre-key; cur is
// that company's current pre-key id (NULL when unknown).
func currentSQL(x, cur string) string {
	return fmt.Sprintf("coalesce(%s.%s = '%s' AND %s.%s = %s, false)", x, colKeyType, PreKeyType, x, colKeyID, cur)
}

// preKeySQL is a company's current pre-key id from its creds row a: Baileys
// mints pre-keys upwards and keeps the next id to mint in nextPreKeyId. A
// missing or odd value protects nothing rather than failing the cast.
func preKeySQL(a string) string {
	return fmt.Sprintf(`CASE WHEN %[1]s.%[2]s->>'nextPreKeyId' ~ '^[0-9]{1,18}$'
		THEN ((%[1]s.%[2]s->>'nextPreKeyId')::bigint - 1)::text END`, a, colCreds)
}

// deletableSQL is the whole rule for row x, as the batched delete applies it
// (so every batch re-checks it against the rows as they are now). The
// current pre-keys are read once per statement into a hashed subplan rather
// than looked up for every pre-key row.
func (s CleanupSpec) deletableSQL(x string) string {
	cur := fmt.Sprintf("coalesce(%[1]s.%[2]s = '%[3]s' AND (%[1]s.%[4]s, %[1]s.%[5]s) IN "+
		"(SELECT a.%[4]s, %[6]s FROM %[7]s a WHERE %[6]s IS NOT NULL), false)",
		x, colKeyType, PreKeyType, colCompany, colKeyID, preKeySQL("a"), quote(s.AuthTable))
	return fmt.Sprintf("%s AND NOT %s AND NOT %s", s.expiredSQL(x), protectedSQL(x), cur)
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// KeyTypeCounts are one key_type's figures in a cleanup preview.
type KeyTypeCounts struct {
	Type              string
	Rows              int64 // all rows of the type
	Expired           int64 // what a cleanup deletes: expired and kept by no rule
	ByExpiresOnly     int64 // of Expired, rows whose age alone would keep them
	KeptProtected     int64 // expired, but the type is protected
	KeptCurrentPreKey int64 // expired, but a company's current pre-key
}

// CleanupCounts are the exact figures of a cleanup preview, from one scan.
type CleanupCounts struct {
	ByType            []KeyTypeCounts // by key_type, in name order
	Rows              int64
	Expired           int64
	ByExpiresOnly     int64
	KeptProtected     int64
	KeptCurrentPreKey int64
	Buckets           [5]int64 // by the age column, as KeyAges (AgeBucketBounds)
	Oldest, Newest    time.Time
}

// CleanupCounts counts, exactly, what a cleanup by spec would delete and keep.
// It reads the whole table once (sequentially: no index on the age column is
// needed), applying the very rule the batched delete applies.
func (db *DB) CleanupCounts(ctx context.Context, spec CleanupSpec) (CleanupCounts, error) {
	var cc CleanupCounts
	if err := spec.Check(); err != nil {
		return cc, err
	}
	if _, err := checkKeysTable(ctx, db.pool, spec); err != nil {
		return cc, err
	}
	// The current pre-key is joined rather than looked up per row: one hash
	// join instead of a subquery per pre-key.
	q := fmt.Sprintf(`
		SELECT key_type, count(*),
		       count(*) FILTER (WHERE exp AND NOT prot AND NOT cur),
		       count(*) FILTER (WHERE exp AND NOT prot AND NOT cur AND NOT coalesce(a < @cutoff::timestamptz, false)),
		       count(*) FILTER (WHERE exp AND prot),
		       count(*) FILTER (WHERE exp AND NOT prot AND cur),
		       count(*) FILTER (WHERE a >= @now::timestamptz - @b0::interval),
		       count(*) FILTER (WHERE a <  @now::timestamptz - @b0::interval AND a >= @now::timestamptz - @b1::interval),
		       count(*) FILTER (WHERE a <  @now::timestamptz - @b1::interval AND a >= @now::timestamptz - @b2::interval),
		       count(*) FILTER (WHERE a <  @now::timestamptz - @b2::interval AND a >= @now::timestamptz - @b3::interval),
		       count(*) FILTER (WHERE a <  @now::timestamptz - @b3::interval),
		       min(a), max(a)
		FROM (SELECT x.%[1]s AS key_type, x.%[2]s AS a, %[3]s AS exp, %[4]s AS prot, %[5]s AS cur
		      FROM %[6]s x LEFT JOIN (SELECT %[7]s AS company_id, %[8]s AS id FROM %[9]s ag) c ON c.company_id = x.%[7]s) s
		GROUP BY key_type ORDER BY key_type`,
		colKeyType, ident(spec.AgeColumn), spec.expiredSQL("x"), protectedSQL("x"), currentSQL("x", "c.id"),
		quote(spec.Table), colCompany, preKeySQL("ag"), quote(spec.AuthTable))
	args := spec.args()
	for i, b := range AgeBucketBounds {
		args[fmt.Sprintf("b%d", i)] = b
	}
	rows, err := db.pool.Query(ctx, q, args)
	if err != nil {
		return cc, fmt.Errorf("count expired keys in %s: %w", spec.Table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k KeyTypeCounts
		var b [5]int64
		var oldest, newest *time.Time
		if err := rows.Scan(&k.Type, &k.Rows, &k.Expired, &k.ByExpiresOnly, &k.KeptProtected, &k.KeptCurrentPreKey,
			&b[0], &b[1], &b[2], &b[3], &b[4], &oldest, &newest); err != nil {
			return cc, fmt.Errorf("count expired keys in %s: %w", spec.Table, err)
		}
		cc.ByType = append(cc.ByType, k)
		cc.Rows += k.Rows
		cc.Expired += k.Expired
		cc.ByExpiresOnly += k.ByExpiresOnly
		cc.KeptProtected += k.KeptProtected
		cc.KeptCurrentPreKey += k.KeptCurrentPreKey
		for i := range b {
			cc.Buckets[i] += b[i]
		}
		if oldest != nil && (cc.Oldest.IsZero() || oldest.Before(cc.Oldest)) {
			cc.Oldest = *oldest
		}
		if newest != nil && newest.After(cc.Newest) {
			cc.Newest = *newest
		}
	}
	if err := rows.Err(); err != nil {
		return cc, fmt.Errorf("count expired keys in %s: %w", spec.Table, err)
	}
	return cc, nil
}

// RelationSizes reads table's sizes and its live and dead tuple statistics.
func (db *DB) RelationSizes(ctx context.Context, table vocab.Ident) (vocab.RelationSizes, error) {
	var s vocab.RelationSizes
	err := db.pool.QueryRow(ctx, `
		SELECT pg_table_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid),
		       coalesce(st.n_live_tup, 0), coalesce(st.n_dead_tup, 0)
		FROM pg_class c LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
		WHERE c.oid = $1::regclass`, quote(table)).
		Scan(&s.TableBytes, &s.IndexBytes, &s.TotalBytes, &s.LiveTuples, &s.DeadTuples)
	if err != nil {
		return s, fmt.Errorf("size of %s: %w", table, err)
	}
	return s, nil
}
