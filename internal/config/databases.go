package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Several databases (#14): DATABASE_URL stays the single case, named after
// its database; DATABASE_URL_<NAME> adds a named one, DATABASE_SERVER_<NAME>
// every database of a server, and <SETTING>_<NAME> overrides one of
// Overridable for database NAME.

// Database is one database pgkeeper guards.
type Database struct {
	Name string // one token: lower-case letters, digits and _; what chat, shell and directories call it
	URL  string // secret: holds the password
	// Config is the configuration with this database's overrides applied,
	// ready for the jobs: DatabaseURL is URL, BackupDir is Dir, and each
	// remote's Prefix is <prefix>/<name> for a named database.
	Config Config
	// Dir is BACKUP_DIR itself for DATABASE_URL's database (its files stay
	// where they always were), BACKUP_DIR/<name> for the others.
	Dir string
}

// String shows the database for logs, its passwords masked.
func (d Database) String() string {
	return mask(fmt.Sprintf("database %s: %s dir=%s", d.Name, d.URL, d.Dir), d.Config.Secrets())
}

// GoString masks the secrets in %#v too.
func (d Database) GoString() string { return d.String() }

// Server is a server whose every database pgkeeper guards, found at each run.
type Server struct {
	Name    string   // lower-case, as DATABASE_SERVER_<NAME> gives it
	URL     string   // secret: holds the password; any database the role may connect to
	Exclude []string // database names left out (DATABASE_SERVER_<NAME>_EXCLUDE), as the server has them

	password string
}

// String shows the server for logs, its password masked.
func (s Server) String() string {
	return mask(fmt.Sprintf("server %s: %s exclude=%v", s.Name, s.URL, s.Exclude), []string{s.password})
}

// GoString masks the secrets in %#v too.
func (s Server) GoString() string { return s.String() }

func mask(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}

// Overridable are the settings a database may have of its own, as
// <SETTING>_<NAME>; the others are the same for every database.
var Overridable = []string{
	"BACKUP_SCHEDULE", "CLEANUP_SCHEDULE", "RESTORE_TEST_SCHEDULE", "BACKUP_MAX_AGE_HOURS",
	"BACKUP_KEEP_DAILY", "BACKUP_KEEP_MONTHLY", "BACKUP_KEEP_HOURLY", "BACKUP_KEEP_WEEKLY",
	"STATUS_TABLES", "KEYS_TABLE", "KEYS_AGE_COLUMN", "DB_CLEANUP_RETENTION_DAYS", "CLEANUP_EXPIRES_COLUMN",
	"CLEANUP_PROTECTED_TYPES", "CLEANUP_BATCH_SIZE", "CLEANUP_VACUUM", "CLEANUP_WARN_ROWS", "CLEANUP_MAX_ROWS",
	"CLEANUP_MAX_SHARE", "RESTORE_FINGERPRINT_TABLES", "RESTORE_DATABASE_URL", "BACKUP_REMOTES",
}

// emptyOverride are the overrides whose empty value means something: off
// (schedules, the expiry column), no keys table, no remotes, the database's
// own server for restore tests. Any other override set empty is as unset.
var emptyOverride = map[string]bool{
	"BACKUP_SCHEDULE": true, "CLEANUP_SCHEDULE": true, "RESTORE_TEST_SCHEDULE": true, "CLEANUP_EXPIRES_COLUMN": true,
	"KEYS_TABLE": true, "BACKUP_REMOTES": true, "RESTORE_DATABASE_URL": true,
}

// maxDatabaseName is the longest database name: PostgreSQL's own limit on a
// name, which derived names never exceed.
const maxDatabaseName = 63

// reservedNames cannot name a database: all is every database (/backup all,
// --all), undo and failed are directories of DATABASE_URL's in BACKUP_DIR.
var reservedNames = []string{"all", "undo", "failed"}

// DatabaseName is the name a database found by its dbname goes by in chat,
// shell and directories: lower-cased, each run of characters other than
// a-z, 0-9 and _ made one _, trimmed of _. A dbname with nothing of that
// left is db_ and the start of its sha256, so two such names stay apart.
func DatabaseName(dbname string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(dbname) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			gap = false
			b.WriteRune(r)
			continue
		}
		gap = true
	}
	name := strings.Trim(b.String(), "_")
	if name == "" {
		sum := sha256.Sum256([]byte(dbname))
		return "db_" + hex.EncodeToString(sum[:4])
	}
	if len(name) > maxDatabaseName {
		name = strings.TrimRight(name[:maxDatabaseName], "_")
	}
	return name
}

// Discovered is database name of a server (DATABASE_SERVER_<NAME>) at url,
// with its overrides (<SETTING>_<NAME>), laid out as a named database.
func (c Config) Discovered(name, url string) Database {
	dc, ok := c.discovered[name]
	if !ok {
		dc = c
		dc.Databases, dc.Servers, dc.discovered = nil, nil, nil
	}
	dc.DatabaseURL = url
	return named(name, dc)
}

// named lays database name out on its own: BACKUP_DIR/<name> here and
// <prefix>/<name> on each remote.
func named(name string, dc Config) Database {
	dir := filepath.Join(dc.BackupDir, name)
	dc.BackupDir = dir
	dc.Remotes = slices.Clone(dc.Remotes)
	for i := range dc.Remotes {
		dc.Remotes[i].Prefix = path.Join(dc.Remotes[i].Prefix, name)
	}
	return Database{Name: name, URL: dc.DatabaseURL, Config: dc, Dir: dir}
}

// RequireDatabaseURL is what every command needs until jobs run for each
// database (#14): DATABASE_URL, the database they guard. The named databases
// and servers are read and checked, not run.
func (c Config) RequireDatabaseURL() error {
	if c.DatabaseURL != "" || len(c.Databases)+len(c.Servers) == 0 {
		return nil // none at all is Load's own problem
	}
	return Problems{{Var: "DATABASE_URL", Msg: "required for now: the named databases and servers are read and checked, " +
		"but pgkeeper does not run their jobs yet (issue #14); set DATABASE_URL to the database to guard"}}
}

// Reserved reports whether pgkeeper keeps name for itself (all, undo,
// failed): a database discovered under it must be named otherwise.
func Reserved(name string) bool { return slices.Contains(reservedNames, name) }
