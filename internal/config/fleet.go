package config

import (
	"regexp"
	"slices"
	"strings"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// Reading the named databases, the servers and the overrides from the
// variables' names. Each named database's settings are read by the very
// readers of the global ones, through an environment where <SETTING>_<NAME>
// stands for <SETTING>: ranges, formats and defaults cannot drift apart.

// Scanned says whether LoadListed looks for variables like name among the
// names it is given: main passes those of the environment it reads.
func Scanned(name string) bool {
	for _, p := range append([]string{"BACKUP_REMOTE_", "DATABASE_URL_", "DATABASE_SERVER_"}, Overridable...) {
		if strings.HasPrefix(name, strings.TrimSuffix(p, "_")+"_") {
			return true
		}
	}
	return false
}

// found is what the names of the variables set say.
type found struct {
	urls      []string            // NAME of each DATABASE_URL_<NAME>, sorted
	servers   []string            // NAME of each DATABASE_SERVER_<NAME>, sorted
	excludes  []string            // NAME of each DATABASE_SERVER_<NAME>_EXCLUDE, sorted
	overrides map[string][]string // NAME → the settings <SETTING>_<NAME> overrides

	self    string            // DATABASE_URL's database's name; "" when unset
	configs map[string]Config // NAME → the named database's settings, for those without a problem
}

var nameRe = regexp.MustCompile(`^[A-Z0-9](?:[A-Z0-9_]*[A-Z0-9])?$`)

func (r *reader) scan(names []string) found {
	f := found{overrides: map[string][]string{}, configs: map[string]Config{}}
	names = slices.Clone(names)
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		if _, ok := r.env(n); !ok {
			continue
		}
		if rest, ok := strings.CutPrefix(n, "DATABASE_URL_"); ok {
			f.urls = append(f.urls, rest)
			continue
		}
		if rest, ok := strings.CutPrefix(n, "DATABASE_SERVER_"); ok {
			if server, ok := strings.CutSuffix(rest, "_EXCLUDE"); ok {
				f.excludes = append(f.excludes, server)
			} else {
				f.servers = append(f.servers, rest)
			}
			continue
		}
		for _, s := range Overridable {
			if rest, ok := strings.CutPrefix(n, s+"_"); ok {
				f.overrides[rest] = append(f.overrides[rest], s)
			}
		}
	}
	return f
}

// fleet reads the named databases and the servers, checks the overrides
// have a database, and settles where pgkeeper's own state lives.
func (r *reader) fleet(c *Config, f *found) {
	type place struct{ v, at string }
	var seen []place // each database's server and dbname, with its variable
	if c.DatabaseURL != "" {
		if parts, err := r.parseURL(c.DatabaseURL); err == nil {
			f.self = DatabaseName(parts.Database)
			seen = append(seen, place{"DATABASE_URL", parts.Server + "/" + parts.Database})
		}
		if len(f.urls)+len(f.servers) > 0 && slices.Contains(reservedNames, f.self) {
			r.bad("DATABASE_URL", "its database is called %s after its dbname, which pgkeeper reserves: "+
				"give it a name with DATABASE_URL_<NAME> instead (its backups then go to BACKUP_DIR/<name>/)", f.self)
		}
	}
	for _, n := range f.urls {
		v, name := "DATABASE_URL_"+n, strings.ToLower(n)
		if !r.databaseVar(v, n, f.self) {
			continue
		}
		url := r.get(v, "")
		if url == "" {
			r.bad(v, "database %s: empty: give its URL, like postgres://user:password@host:5432/dbname, or unset it", name)
			continue
		}
		parts, err := r.parseURL(url)
		if err != nil {
			r.bad(v, "database %s: %v", name, err)
			continue
		}
		at := parts.Server + "/" + parts.Database
		if i := slices.IndexFunc(seen, func(p place) bool { return p.at == at }); i >= 0 {
			r.bad(v, "database %s: the same database as %s (%s on %s): give each database one variable", name, seen[i].v, parts.Database, parts.Server)
			continue
		}
		seen = append(seen, place{v, at})
		c.secretVars = append(c.secretVars, v)
		f.configs[n] = r.overridden(c, n, true)
	}
	c.Servers = r.servers(f)
	c.secretVars = append(c.secretVars, r.secretVars...)
	for _, n := range sortedKeys(f.overrides) {
		_, configured := f.configs[n]
		switch {
		case slices.Contains(f.urls, n):
			if !configured {
				continue // the database's own problem is the one to fix
			}
		case f.self != "" && strings.ToLower(n) == f.self:
			for _, s := range f.overrides[n] {
				r.bad(s+"_"+n, "DATABASE_URL's database %s takes the global settings: set %s itself", f.self, s)
			}
			continue
		case len(c.Servers) > 0 && nameRe.MatchString(n) && len(n) <= maxDatabaseName:
			// For a database a server may hold: checked now, used when found.
			if c.discovered == nil {
				c.discovered = map[string]Config{}
			}
			c.discovered[strings.ToLower(n)] = r.overridden(c, n, false)
		case !nameRe.MatchString(n):
			for _, s := range f.overrides[n] {
				r.bad(s+"_"+n, "%q is not a database name: %s_<NAME> overrides %s for database NAME (DATABASE_URL_<NAME>)", n, s, s)
			}
			continue
		default:
			for _, s := range f.overrides[n] {
				r.bad(s+"_"+n, "set, but there is no database %s: DATABASE_URL_%s is not set", strings.ToLower(n), n)
			}
			continue
		}
		if slices.Contains(f.overrides[n], "RESTORE_DATABASE_URL") {
			c.secretVars = append(c.secretVars, "RESTORE_DATABASE_URL_"+n)
		}
	}
	r.stateURL(c, f)
	slices.Sort(c.secretVars)
	c.secretVars = slices.Compact(c.secretVars)
}

// databaseVar checks NAME n of database variable v: its form, a name
// reserved, or DATABASE_URL's database's name, self.
func (r *reader) databaseVar(v, n, self string) bool {
	name := strings.ToLower(n)
	switch {
	case len(n) > maxDatabaseName || !nameRe.MatchString(n):
		r.bad(v, "%q is not a database name: upper-case letters, digits and _ (not first or last), at most %d; "+
			"chat, shell and BACKUP_DIR/<name> use it lower-cased", n, maxDatabaseName)
	case slices.Contains(reservedNames, name):
		r.bad(v, "database %s: the name is reserved (all: every database; undo, failed: directories of BACKUP_DIR): call it otherwise", name)
	case name == self:
		r.bad(v, "database %s: DATABASE_URL's database is called %s too (after its dbname): call this one otherwise", name, self)
	default:
		return true
	}
	return false
}

// overridden reads database n's settings through its overrides, and
// DATABASE_URL_<n> as its DATABASE_URL when url. A problem of an override
// names the database and the override; the others are the global ones
// again, said once.
func (r *reader) overridden(c *Config, n string, url bool) Config {
	name := strings.ToLower(n)
	used := map[string]bool{}
	sub := &reader{parseURL: r.parseURL, seenNames: r.seenNames, several: true}
	sub.env = func(k string) (string, bool) {
		if k != "DATABASE_URL" && !slices.Contains(Overridable, k) || k == "DATABASE_URL" && !url {
			return r.env(k)
		}
		v, ok := r.env(k + "_" + n)
		if !ok || strings.TrimSpace(v) == "" && !emptyOverride[k] {
			return r.env(k)
		}
		used[k] = true
		return v, true
	}
	dc := sub.settings()
	if used["KEYS_TABLE"] && sub.get("KEYS_TABLE", "") == "" {
		dc.KeysTable = vocab.Ident{} // no keys table: no key ages, no cleanup
	}
	r.secrets = append(r.secrets, sub.secrets...)
	for _, p := range sub.problems {
		switch {
		case used[p.Var]:
			r.bad(p.Var+"_"+n, "database %s: %s", name, p.Msg)
		case !slices.Contains(r.problems, p):
			r.problems = append(r.problems, p)
		}
	}
	r.sameRemotes(c, dc.Remotes, "BACKUP_REMOTES_"+n, name)
	return dc
}

// sameRemotes checks that a remote of database name's own list is where the
// remote of the same name is elsewhere: a name is one place, with one set
// of BACKUP_REMOTE_<NAME>_* variables. Its secret variables are secrets.
func (r *reader) sameRemotes(c *Config, remotes []Remote, v, name string) {
	for _, rm := range remotes {
		if i := slices.IndexFunc(c.Remotes, func(x Remote) bool { return x.Name == rm.Name }); i >= 0 {
			if x := c.Remotes[i]; x.URL() != rm.URL() || x.Endpoint != rm.Endpoint {
				r.bad(v, "database %s: remote %s is %s here but %s in BACKUP_REMOTES: one name, one place", name, rm.Name, rm.URL(), x.URL())
			}
			continue
		}
		c.secretVars = append(c.secretVars, append(remoteSecretVars(rm.Name), "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")...)
	}
}

// servers reads each DATABASE_SERVER_<NAME> and its _EXCLUDE.
func (r *reader) servers(f *found) []Server {
	var out []Server
	at := map[string]string{} // host:port → its variable
	for _, n := range f.servers {
		v := "DATABASE_SERVER_" + n
		if len(n) > maxDatabaseName || !nameRe.MatchString(n) {
			r.bad(v, "%q is not a server name: upper-case letters, digits and _ (not first or last), at most %d", n, maxDatabaseName)
			continue
		}
		url := r.get(v, "")
		if url == "" {
			r.bad(v, "server %s: empty: give a URL of the server, like postgres://user:password@host:5432/postgres, or unset it", strings.ToLower(n))
			continue
		}
		parts, err := r.parseURL(url)
		if err != nil {
			r.bad(v, "server %s: %v", strings.ToLower(n), err)
			continue
		}
		r.secrets = append(r.secrets, parts.Password)
		if other, dup := at[parts.Server]; dup {
			r.bad(v, "server %s: the same server as %s (%s): its databases would be found twice", strings.ToLower(n), other, parts.Server)
			continue
		}
		at[parts.Server] = v
		r.secretVars = append(r.secretVars, v)
		out = append(out, Server{Name: strings.ToLower(n), URL: url, Exclude: r.list(v+"_EXCLUDE", ""), password: parts.Password})
	}
	for _, n := range f.excludes {
		if !slices.Contains(f.servers, n) {
			r.bad("DATABASE_SERVER_"+n+"_EXCLUDE", "set, but DATABASE_SERVER_%s is not", n)
		}
	}
	return out
}

// stateURL settles PGKEEPER_STATE_URL: DATABASE_URL, else the first named
// database; with servers alone, it must be given.
func (r *reader) stateURL(c *Config, f *found) {
	switch {
	case c.StateURL != "":
	case c.DatabaseURL != "":
		c.StateURL = c.DatabaseURL
	case len(f.configs) > 0:
		c.StateURL = f.configs[sortedKeys(f.configs)[0]].DatabaseURL
	case len(c.Servers) > 0:
		r.bad("PGKEEPER_STATE_URL", "required when only DATABASE_SERVER_* is set: the database where pgkeeper keeps "+
			"its run history, claims and outbox, like postgres://user:password@host:5432/pgkeeper")
	}
}

// databases are DATABASE_URL's database and the named ones, each with its
// settings, once the configuration's are final.
func databases(c Config, f *found) []Database {
	base := c
	base.Databases, base.Servers, base.discovered = nil, nil, nil
	var out []Database
	if c.DatabaseURL != "" {
		out = append(out, Database{Name: f.self, URL: c.DatabaseURL, Config: base, Dir: c.BackupDir})
	}
	finish := func(dc Config) Config {
		dc.StateURL, dc.secrets, dc.secretVars = c.StateURL, c.secrets, c.secretVars
		return dc
	}
	for _, n := range sortedKeys(f.configs) {
		out = append(out, named(strings.ToLower(n), finish(f.configs[n])))
	}
	for name, dc := range c.discovered {
		c.discovered[name] = finish(dc)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
