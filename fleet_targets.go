package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/store"
)

// target is one database a command may run on, with its own configuration
// (its URL, BACKUP_DIR/<name>, its overrides), or why it cannot run.
type target struct {
	name   string
	dbname string // as the server has it
	cfg    config.Config
	server string // host:port: BACKUP_PARALLEL counts per server
	err    error  // cannot run: its server's discovery failed, its name is taken
	// whole is a server whose discovery failed: no database to select.
	whole bool
	// found is a database a DATABASE_SERVER_<NAME> holds (not configured by
	// URL): serve drops it when it is gone.
	found bool
}

// discoverTimeout bounds listing one server's databases.
const discoverTimeout = 15 * time.Second

// targets are the configured databases (DATABASE_URL's first, then the
// named ones) and those each DATABASE_SERVER_<NAME> holds now, found at
// each run: a database that appears is picked up by the next.
func targets(ctx context.Context, cfg config.Config) []target {
	var out []target
	configured := map[string]bool{} // host:port/dbname
	for _, d := range cfg.Databases {
		parts, _ := store.ParseURL(d.URL) // checked by config
		configured[parts.Server+"/"+parts.Database] = true
		out = append(out, target{name: d.Name, dbname: parts.Database, cfg: d.Config, server: parts.Server})
	}
	fixed := len(out)
	for _, s := range cfg.Servers {
		out = append(out, serverTargets(ctx, cfg, s, configured)...)
	}
	// A discovered database whose name another database has is refused: it
	// would share BACKUP_DIR/<name> with it. A configured one keeps its name.
	for i := fixed; i < len(out); i++ {
		if out[i].whole || out[i].err != nil {
			continue
		}
		for j := range out {
			if j != i && !out[j].whole && out[j].name == out[i].name {
				out[i].err = fmt.Errorf("database %q on %s would be called %s, as database %q is: leave one out with "+
					"DATABASE_SERVER_<NAME>_EXCLUDE, or give it a name of its own with DATABASE_URL_<NAME>",
					out[i].dbname, out[i].server, out[i].name, out[j].dbname)
				break
			}
		}
	}
	return out
}

// serverTargets are the databases server s holds now, but for those
// configured by URL and those it excludes; a server that cannot be listed
// is one target saying so.
func serverTargets(ctx context.Context, cfg config.Config, s config.Server, configured map[string]bool) []target {
	parts, _ := store.ParseURL(s.URL) // checked by config
	ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	names, err := store.ServerDatabases(ctx, s.URL)
	if err != nil {
		return []target{{name: "server " + s.Name, server: parts.Server, whole: true,
			err: fmt.Errorf("cannot list the databases of server %s (DATABASE_SERVER_%s): %w", s.Name, strings.ToUpper(s.Name), err)}}
	}
	var out []target
	for _, dbname := range names {
		if slices.Contains(s.Exclude, dbname) || configured[parts.Server+"/"+dbname] {
			continue
		}
		t := target{name: config.DatabaseName(dbname), dbname: dbname, server: parts.Server, found: true}
		url, err := store.WithDatabase(s.URL, dbname)
		switch {
		case config.Reserved(t.name):
			t.err = fmt.Errorf("database %q on %s would be called %s, which pgkeeper reserves: leave it out with "+
				"DATABASE_SERVER_%s_EXCLUDE, or give it a name with DATABASE_URL_<NAME>", dbname, parts.Server, t.name, strings.ToUpper(s.Name))
		case err != nil:
			t.err = fmt.Errorf("database %q on %s: %w", dbname, parts.Server, err)
		default:
			t.cfg = cfg.Discovered(t.name, url).Config
		}
		out = append(out, t)
	}
	return out
}

// names are the targets' names, sorted, for the refusals that list them.
func names(ts []target) []string {
	var out []string
	for _, t := range ts {
		if !t.whole {
			out = append(out, t.name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
