package store

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// scratchRe is a scratch database's name as ScratchName makes it, for any
// live database: discovery leaves out pgkeeper's own scratch databases.
var scratchRe = regexp.MustCompile(regexp.QuoteMeta(scratchInfix) + `[0-9]{8}_[0-9]{6}$`)

// IsScratch reports whether name has the form of a scratch database of any
// live database (<db>_pgkeeper_restore_<yyyymmdd_hhmmss>).
func IsScratch(name string) bool { return scratchRe.MatchString(name) }

// ServerDatabases lists the databases of the server dsn connects to that
// could be backed up: not templates, allowing connections, and not one of
// pgkeeper's scratch databases; sorted by name. One short connection.
func ServerDatabases(ctx context.Context, dsn string) ([]string, error) {
	cfg, err := parse(dsn)
	if err != nil {
		return nil, err
	}
	cc := cfg.ConnConfig.Copy()
	cc.RuntimeParams["application_name"] = "pgkeeper"
	c, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s:%d: %w", cc.Host, cc.Port, err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	rows, err := c.Query(ctx, `SELECT datname FROM pg_database
		WHERE NOT datistemplate AND datallowconn ORDER BY datname`)
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	out := names[:0]
	for _, n := range names {
		if !IsScratch(n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// WithDatabase is connection string dsn (URL or key=value form) naming
// database dbname instead of its own, whatever characters dbname holds.
func WithDatabase(dsn, dbname string) (string, error) {
	if _, err := parse(dsn); err != nil {
		return "", err
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse database url: not a valid URL")
		}
		u.Path, u.RawPath = "/"+dbname, ""
		return u.String(), nil
	}
	// key=value: a later keyword wins, so the dbname appended is the one used.
	quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(dbname)
	return dsn + " dbname='" + quoted + "'", nil
}
