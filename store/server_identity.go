package store

import (
	"context"
	"fmt"
	"strconv"
)

// SystemIdentifier is the server's system identifier, which initdb picks at
// random: two clusters never share one, whatever their host names. Backups
// record it so that a BACKUP_DIR shared by several servers keeps each
// server's backups apart. pg_control_system() is open to every role.
func (db *DB) SystemIdentifier(ctx context.Context) (string, error) {
	if id := db.sysID.Load(); id != nil {
		return *id, nil
	}
	var id int64
	if err := db.pool.QueryRow(ctx, "SELECT system_identifier FROM pg_control_system()").Scan(&id); err != nil {
		return "", fmt.Errorf("system identifier: %w", err)
	}
	// The identifier is unsigned in PostgreSQL; int8 carries its bits.
	s := strconv.FormatUint(uint64(id), 10)
	db.sysID.Store(&s)
	return s, nil
}
