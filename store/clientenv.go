package store

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// libpqEnv maps connection parameters to the environment variables libpq
// reads, so child processes (pg_dump, pg_restore, psql) connect without the
// connection string, and so the password, ever appearing in their argv.
var libpqEnv = map[string]string{
	"host":                      "PGHOST",
	"hostaddr":                  "PGHOSTADDR",
	"port":                      "PGPORT",
	"user":                      "PGUSER",
	"password":                  "PGPASSWORD",
	"dbname":                    "PGDATABASE",
	"sslmode":                   "PGSSLMODE",
	"sslrootcert":               "PGSSLROOTCERT",
	"sslcert":                   "PGSSLCERT",
	"sslkey":                    "PGSSLKEY",
	"sslcrl":                    "PGSSLCRL",
	"sslpassword":               "PGSSLPASSWORD",
	"sslsni":                    "PGSSLSNI",
	"requiressl":                "PGREQUIRESSL",
	"connect_timeout":           "PGCONNECT_TIMEOUT",
	"target_session_attrs":      "PGTARGETSESSIONATTRS",
	"options":                   "PGOPTIONS",
	"service":                   "PGSERVICE",
	"passfile":                  "PGPASSFILE",
	"gssencmode":                "PGGSSENCMODE",
	"krbsrvname":                "PGKRBSRVNAME",
	"channel_binding":           "PGCHANNELBINDING",
	"ssl_min_protocol_version":  "PGSSLMINPROTOCOLVERSION",
	"ssl_max_protocol_version":  "PGSSLMAXPROTOCOLVERSION",
	"load_balance_hosts":        "PGLOADBALANCEHOSTS",
	"require_auth":              "PGREQUIREAUTH",
	"application_name":          "PGAPPNAME",
	"tcp_user_timeout":          "PGTCPUSERTIMEOUT",
	"keepalives":                "PGKEEPALIVES",
	"fallback_application_name": "PGAPPNAME",
}

// ClientEnv returns the libpq environment (KEY=value pairs) for dsn, with the
// database replaced by dbname when that is not empty. Settings libpq cannot
// take from the environment are refused rather than dropped.
func ClientEnv(dsn, dbname string) ([]string, error) {
	params, err := connParams(dsn)
	if err != nil {
		return nil, err
	}
	if dbname != "" {
		params["dbname"] = dbname
	}
	env := make([]string, 0, len(params)+1)
	for k, v := range params {
		if pgxOnly(k) {
			continue
		}
		name, ok := libpqEnv[k]
		if !ok {
			return nil, fmt.Errorf("database url: parameter %q cannot be passed to pg_dump through its environment", k)
		}
		env = append(env, name+"="+v)
	}
	// A pg_service.conf or ~/.pgpass on the host must not quietly change where
	// we connect: everything comes from DATABASE_URL.
	timeout := firstNonEmpty(params["connect_timeout"], strconv.Itoa(int(DefaultConnectTimeout.Seconds())))
	env = append(env, "PGCONNECT_TIMEOUT="+timeout)
	return env, nil
}

// pgxOnly reports whether a parameter tunes pgx's pool or driver and means
// nothing to libpq.
func pgxOnly(k string) bool {
	switch k {
	case "statement_cache_capacity", "description_cache_capacity", "default_query_exec_mode", "min_read_buffer_size":
		return true
	}
	return strings.HasPrefix(k, "pool_")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// connParams parses a URL or key=value connection string into libpq's keywords.
func connParams(dsn string) (map[string]string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return urlParams(dsn)
	}
	return keywordParams(dsn)
}

func urlParams(dsn string) (map[string]string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("database url: not a valid URL")
	}
	p := map[string]string{}
	if u.User != nil {
		p["user"] = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			p["password"] = pw
		}
	}
	if h := u.Hostname(); h != "" {
		p["host"] = h
	}
	if port := u.Port(); port != "" {
		p["port"] = port
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		p["dbname"] = db
	}
	for k, vs := range u.Query() {
		if len(vs) > 0 {
			p[k] = vs[len(vs)-1]
		}
	}
	return p, nil
}

// keywordParams parses "host=h password='a b\'c'" as libpq does: values may be
// single-quoted, with backslash escaping a quote or a backslash.
func keywordParams(dsn string) (map[string]string, error) {
	p := map[string]string{}
	s := strings.TrimSpace(dsn)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, fmt.Errorf("database url: expected key=value")
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			i := 1
			for ; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("database url: unterminated quoted value for %s", key)
			}
			s = s[i+1:]
		} else {
			i := 0
			for ; i < len(s) && s[i] != ' ' && s[i] != '\t'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
			}
			s = s[i:]
		}
		p[key] = val.String()
		s = strings.TrimLeft(s, " \t")
	}
	return p, nil
}
