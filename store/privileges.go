package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// MayCreateDatabases reports the role the Server connects as, and whether it
// may CREATE DATABASE, which restore tests need.
func (s *Server) MayCreateDatabases(ctx context.Context) (role string, ok bool, err error) {
	err = s.with(ctx, func(c *pgx.Conn) error {
		const q = `SELECT current_user, rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user`
		return c.QueryRow(ctx, q).Scan(&role, &ok)
	})
	if err != nil {
		return "", false, fmt.Errorf("role privileges: %w", err)
	}
	return role, ok, nil
}

// SchemaState reports whether pgkeeper's schema exists in the database, and
// whether the connecting role (role) may set it up: create it when it is
// missing, or use and create in it when it is there.
func (db *DB) SchemaState(ctx context.Context, schema string) (exists, ok bool, role string, err error) {
	err = db.pool.QueryRow(ctx, `SELECT n.oid IS NOT NULL,
		CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), 'CREATE')
		     ELSE has_schema_privilege(n.oid, 'USAGE') AND has_schema_privilege(n.oid, 'CREATE') END,
		current_user
		FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1`, schema).Scan(&exists, &ok, &role)
	if err != nil {
		return false, false, "", fmt.Errorf("schema %s: %w", schema, err)
	}
	return exists, ok, role, nil
}
