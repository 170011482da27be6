package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/vocab"
)

const (
	appPW     = "app-pw-do-not-leak"
	billingPW = "billing-pw-do-not-leak"
	crmPW     = "crm-pw-do-not-leak"
	serverPW  = "server-pw-do-not-leak"
	restorePW = "restore-pw-do-not-leak"
	statePW   = "state-pw-do-not-leak"
)

var (
	appURL     = "postgres://app:" + appPW + "@db1:5432/app"
	billingURL = "postgres://billing:" + billingPW + "@db2:5432/billing"
	crmURL     = "postgres://crm:" + crmPW + "@db2:5432/crm"
	serverURL  = "postgres://pgkeeper:" + serverPW + "@db3:5432/postgres"
)

// loadAll loads exactly vars, telling Load every variable's name as main does.
func loadAll(vars map[string]string) (Config, error) {
	var names []string
	for k := range vars {
		names = append(names, k)
	}
	return LoadListed(env(vars), names, parseURL)
}

func TestDatabaseName(t *testing.T) {
	tests := []struct{ give, want string }{
		{"My DB-2", "my_db_2"},
		{"UPPER", "upper"},
		{"ключи", "db_2e1a5e22"},
		{"данные", "db_9d8cf70d"}, // another name with nothing left stays apart
		{"a/b", "a_b"},
		{"app", "app"},
		{"__keep_inner__", "keep_inner"},
		{"a _b", "a__b"}, // the space is a run of its own; _ is kept
		{"ключи 2", "2"},
		{strings.Repeat("x", 70), strings.Repeat("x", 63)},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if got := DatabaseName(tt.give); got != tt.want {
				t.Errorf("DatabaseName(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

// DATABASE_URL alone is today's configuration: one database, named after
// its dbname, in BACKUP_DIR itself, whose settings are the configuration's.
func TestSingleDatabaseIsTodays(t *testing.T) {
	tests := []struct {
		name string
		give map[string]string
		want string // the database's name
	}{
		{"defaults", map[string]string{"DATABASE_URL": appURL}, "app"},
		{"every kind of setting", map[string]string{"DATABASE_URL": "postgres://u:" + appPW + "@h/My-App", "BACKUP_DIR": "/var/backups/pg",
			"KEYS_TABLE": "keys", "BACKUP_KEEP_DAILY": "30", "CLEANUP_SCHEDULE": "", "BACKUP_REMOTES": "msk=s3://bucket/p",
			"RESTORE_DATABASE_URL": "postgres://r:" + restorePW + "@h2/postgres", "STATUS_TABLES": "a,b", "CLEANUP_MAX_SHARE": "0.3"}, "my_app"},
		{"dbname reserved when alone", map[string]string{"DATABASE_URL": "postgres://u@h/all"}, "all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for how, load := range map[string]func() (Config, error){
				"Load":       func() (Config, error) { return Load(env(tt.give), parseURL) },
				"LoadListed": func() (Config, error) { return loadAll(tt.give) },
			} {
				c, err := load()
				if err != nil {
					t.Fatalf("%s: %v", how, err)
				}
				if len(c.Databases) != 1 || len(c.Servers) != 0 {
					t.Fatalf("%s: %d databases, %d servers; want 1, 0", how, len(c.Databases), len(c.Servers))
				}
				d := c.Databases[0]
				global := c
				global.Databases, global.Servers = nil, nil
				if !reflect.DeepEqual(d.Config, global) {
					t.Errorf("%s: the database's settings differ from the configuration's:\n%v\n%v", how, d.Config, global)
				}
				if d.Name != tt.want || d.URL != c.DatabaseURL || d.Dir != c.BackupDir || c.StateURL != c.DatabaseURL || c.Parallel != 1 {
					t.Errorf("%s: %s url=%v dir=%q (BACKUP_DIR %q) state=%v parallel=%d", how, d.Name, d.URL == c.DatabaseURL,
						d.Dir, c.BackupDir, c.StateURL == c.DatabaseURL, c.Parallel)
				}
				if err := c.RequireDatabaseURL(); err != nil {
					t.Errorf("%s: %v", how, err)
				}
			}
		})
	}
}

func TestNamedDatabasesAndServers(t *testing.T) {
	c, err := loadAll(map[string]string{
		"DATABASE_URL":                    appURL,
		"DATABASE_URL_BILLING":            billingURL,
		"DATABASE_URL_CRM_2":              crmURL,
		"BACKUP_DIR":                      "/b",
		"BACKUP_REMOTES":                  "msk=s3://bucket/pg",
		"BACKUP_PARALLEL":                 "3",
		"BACKUP_SCHEDULE_BILLING":         "",
		"BACKUP_KEEP_DAILY_BILLING":       "30",
		"KEYS_TABLE_BILLING":              "",
		"STATUS_TABLES_BILLING":           "",
		"RESTORE_DATABASE_URL_BILLING":    "postgres://r:" + restorePW + "@db9/postgres",
		"BACKUP_REMOTES_CRM_2":            "",
		"KEYS_TABLE_CRM_2":                "crm.tokens",
		"CLEANUP_EXPIRES_COLUMN_CRM_2":    "",
		"DATABASE_SERVER_DB3":             serverURL,
		"DATABASE_SERVER_DB3_EXCLUDE":     "scratch, old reports",
		"BACKUP_SCHEDULE_REPORTS":         "0 5 * * 0",
		"DB_CLEANUP_RETENTION_DAYS_CRM_2": "90",
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range c.Databases {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, []string{"app", "billing", "crm_2"}) {
		t.Fatalf("databases %v", names)
	}
	app, billing, crm := c.Databases[0], c.Databases[1], c.Databases[2]
	if app.Dir != "/b" || billing.Dir != "/b/billing" || crm.Dir != "/b/crm_2" || billing.Config.BackupDir != billing.Dir {
		t.Errorf("directories: %q %q %q (billing's BACKUP_DIR %q)", app.Dir, billing.Dir, crm.Dir, billing.Config.BackupDir)
	}
	if billing.URL != billingURL || billing.Config.DatabaseURL != billingURL || crm.Config.DatabaseURL != crmURL {
		t.Error("a named database's URL is not its DATABASE_URL_<NAME>")
	}
	b := billing.Config
	if b.BackupSchedule != "" || b.KeepDaily != 30 || b.KeysTable != (vocab.Ident{}) || len(b.StatusTables) != 2 ||
		!strings.Contains(b.RestoreDatabaseURL, "db9") || b.CleanupSchedule != DefaultCleanupSchedule {
		t.Errorf("billing's overrides: schedule %q keep %d keys %v status %v restore-set %v cleanup %q", b.BackupSchedule, b.KeepDaily,
			b.KeysTable, b.StatusTables, b.RestoreDatabaseURL != "", b.CleanupSchedule)
	}
	if len(b.Remotes) != 1 || b.Remotes[0].Prefix != "pg/billing" || c.Remotes[0].Prefix != "pg" || app.Config.Remotes[0].Prefix != "pg" {
		t.Errorf("remote prefixes: billing %v, global %v, app %v", b.Remotes, c.Remotes, app.Config.Remotes)
	}
	k := crm.Config
	if len(k.Remotes) != 0 || k.KeysTable != (vocab.Ident{Schema: "crm", Name: "tokens"}) || k.CleanupExpiresColumn != "" ||
		k.RetentionDays != 90 || k.KeepDaily != DefaultKeepDaily {
		t.Errorf("crm_2's overrides: remotes %v keys %v expires %q retention %d keep %d", k.Remotes, k.KeysTable,
			k.CleanupExpiresColumn, k.RetentionDays, k.KeepDaily)
	}
	if c.StateURL != appURL || b.StateURL != appURL || c.Parallel != 3 || b.Parallel != 3 {
		t.Errorf("state URL is DATABASE_URL: %v; parallel %d, %d", c.StateURL == appURL, c.Parallel, b.Parallel)
	}
	if len(c.Servers) != 1 || c.Servers[0].Name != "db3" || c.Servers[0].URL != serverURL ||
		!slices.Equal(c.Servers[0].Exclude, []string{"scratch", "old reports"}) {
		t.Errorf("servers: %v", c.Servers)
	}
	reports, other := c.Discovered("reports", "postgres://u@db3/reports"), c.Discovered("other", "postgres://u@db3/other")
	if reports.Config.BackupSchedule != "0 5 * * 0" || other.Config.BackupSchedule != DefaultBackupSchedule ||
		reports.Dir != "/b/reports" || reports.Config.Remotes[0].Prefix != "pg/reports" || other.Config.DatabaseURL != "postgres://u@db3/other" {
		t.Errorf("discovered: reports %v %q, other %v %q", reports, reports.Config.BackupSchedule, other, other.Config.BackupSchedule)
	}
	if err := c.RequireDatabaseURL(); err != nil {
		t.Errorf("with DATABASE_URL: %v", err)
	}
}

// Without DATABASE_URL, the first named database holds pgkeeper's state,
// and the commands refuse until they run every database.
func TestNamedDatabasesAlone(t *testing.T) {
	c, err := loadAll(map[string]string{"DATABASE_URL_ZED": appURL, "DATABASE_URL_BILLING": billingURL})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Databases) != 2 || c.Databases[0].Name != "billing" || c.StateURL != billingURL || c.DatabaseURL != "" {
		t.Errorf("databases %v, state is billing's: %v", c.Databases, c.StateURL == billingURL)
	}
	err = c.RequireDatabaseURL()
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: required for now") {
		t.Errorf("RequireDatabaseURL = %v", err)
	}
	c, err = loadAll(map[string]string{"DATABASE_URL_A": appURL, "PGKEEPER_STATE_URL": "postgres://s:" + statePW + "@db5/pgkeeper"})
	if err != nil || !strings.Contains(c.StateURL, "db5") {
		t.Errorf("PGKEEPER_STATE_URL given: %v, %v", c.StateURL != "", err)
	}
}

// Every bad setup is named, variable and database, all at once, and no
// password is ever in the text.
func TestBadDatabasesAreRefused(t *testing.T) {
	ok := map[string]string{"DATABASE_URL_BILLING": billingURL}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range ok {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		give map[string]string
		want map[string]string // variable → a fragment of its problem
	}{
		{"none at all", map[string]string{}, map[string]string{"DATABASE_URL": "required: the database to guard, like postgres://user:password@host:5432/dbname (or several: DATABASE_URL_<NAME>"}},
		{"lower-case name", with(map[string]string{"DATABASE_URL_crm": crmURL}), map[string]string{"DATABASE_URL_crm": `"crm" is not a database name`}},
		{"name ends with _", with(map[string]string{"DATABASE_URL_CRM_": crmURL}), map[string]string{"DATABASE_URL_CRM_": `"CRM_" is not a database name`}},
		{"name too long", with(map[string]string{"DATABASE_URL_" + strings.Repeat("A", 64): crmURL}), map[string]string{"DATABASE_URL_" + strings.Repeat("A", 64): "at most 63"}},
		{"all", with(map[string]string{"DATABASE_URL_ALL": crmURL}), map[string]string{"DATABASE_URL_ALL": "database all: the name is reserved"}},
		{"undo", with(map[string]string{"DATABASE_URL_UNDO": crmURL}), map[string]string{"DATABASE_URL_UNDO": "database undo: the name is reserved"}},
		{"DATABASE_URL's name", with(map[string]string{"DATABASE_URL": "postgres://u:" + appPW + "@db1/Billing"}),
			map[string]string{"DATABASE_URL_BILLING": "DATABASE_URL's database is called billing too"}},
		{"DATABASE_URL's name reserved with others", with(map[string]string{"DATABASE_URL": "postgres://u:" + appPW + "@db1/ALL"}),
			map[string]string{"DATABASE_URL": "called all after its dbname, which pgkeeper reserves"}},
		{"empty", with(map[string]string{"DATABASE_URL_CRM": " "}), map[string]string{"DATABASE_URL_CRM": "database crm: empty"}},
		{"not a URL", with(map[string]string{"DATABASE_URL_CRM": "postgres://u:" + crmPW + "@[bad"}), map[string]string{"DATABASE_URL_CRM": "database crm: parse database url"}},
		{"one database twice", with(map[string]string{"DATABASE_URL_COPY": "postgres://x:" + appPW + "@DB2:5432/billing?sslmode=disable"}),
			map[string]string{"DATABASE_URL_COPY": "database copy: the same database as DATABASE_URL_BILLING (billing on db2:5432)"}},
		{"DATABASE_URL twice", map[string]string{"DATABASE_URL": billingURL, "DATABASE_URL_COPY": billingURL},
			map[string]string{"DATABASE_URL_COPY": "database copy: the same database as DATABASE_URL (billing on db2:5432)"}},
		{"a bad override", with(map[string]string{"BACKUP_KEEP_DAILY_BILLING": "0", "BACKUP_SCHEDULE_BILLING": "daily"}),
			map[string]string{"BACKUP_KEEP_DAILY_BILLING": `database billing: "0" is not a whole number from 1 to 3650`,
				"BACKUP_SCHEDULE_BILLING": `database billing: "daily" is not a cron schedule`}},
		{"an override of no database", with(map[string]string{"KEYS_TABLE_BILING": "k"}),
			map[string]string{"KEYS_TABLE_BILING": "set, but there is no database biling: DATABASE_URL_BILING is not set"}},
		{"an override of no name", with(map[string]string{"BACKUP_KEEP_DAILY_": "3", "KEYS_TABLE_billing": "k"}),
			map[string]string{"BACKUP_KEEP_DAILY_": `"" is not a database name`, "KEYS_TABLE_billing": `"billing" is not a database name`}},
		{"an override of DATABASE_URL's database", with(map[string]string{"DATABASE_URL": appURL, "BACKUP_SCHEDULE_APP": "0 1 * * *"}),
			map[string]string{"BACKUP_SCHEDULE_APP": "DATABASE_URL's database app takes the global settings: set BACKUP_SCHEDULE itself"}},
		{"an override in the single case", map[string]string{"DATABASE_URL": appURL, "BACKUP_KEEP_DAILY_OTHER": "3"},
			map[string]string{"BACKUP_KEEP_DAILY_OTHER": "no database other"}},
		{"an exclude of no server", with(map[string]string{"DATABASE_SERVER_DB3_EXCLUDE": "a"}),
			map[string]string{"DATABASE_SERVER_DB3_EXCLUDE": "set, but DATABASE_SERVER_DB3 is not"}},
		{"servers alone need a state URL", map[string]string{"DATABASE_SERVER_DB3": serverURL},
			map[string]string{"PGKEEPER_STATE_URL": "required when only DATABASE_SERVER_* is set"}},
		{"one server twice", with(map[string]string{"DATABASE_SERVER_A": serverURL, "DATABASE_SERVER_B": "postgres://u:" + serverPW + "@db3/other"}),
			map[string]string{"DATABASE_SERVER_B": "server b: the same server as DATABASE_SERVER_A (db3:5432)"}},
		{"a bad server", with(map[string]string{"DATABASE_SERVER_x": serverURL, "DATABASE_SERVER_Y": "postgres://u:" + serverPW + "@[bad", "DATABASE_SERVER_Z": ""}),
			map[string]string{"DATABASE_SERVER_x": `"x" is not a server name`, "DATABASE_SERVER_Y": "server y: parse database url",
				"DATABASE_SERVER_Z": "server z: empty"}},
		{"a remote's name elsewhere", with(map[string]string{"BACKUP_REMOTES": "msk=s3://bucket/a", "BACKUP_REMOTES_BILLING": "msk=s3://bucket/b"}),
			map[string]string{"BACKUP_REMOTES_BILLING": "database billing: remote msk is s3://bucket/b here but s3://bucket/a in BACKUP_REMOTES"}},
		{"a remote of an override", with(map[string]string{"BACKUP_REMOTES_BILLING": "spb=s3://bucket", "BACKUP_REMOTE_SPB_ACCESS_KEY_ID": "K"}),
			map[string]string{"BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY": "required with BACKUP_REMOTE_SPB_ACCESS_KEY_ID"}},
		{"a bad restore server", with(map[string]string{"RESTORE_DATABASE_URL_BILLING": "postgres://u:" + restorePW + "@[bad"}),
			map[string]string{"RESTORE_DATABASE_URL_BILLING": "database billing: parse database url"}},
		{"parallel", with(map[string]string{"BACKUP_PARALLEL": "17"}), map[string]string{"BACKUP_PARALLEL": `"17" is not a whole number from 1 to 16`}},
		{"a bad state URL", with(map[string]string{"PGKEEPER_STATE_URL": "postgres://u:" + statePW + "@[bad"}),
			map[string]string{"PGKEEPER_STATE_URL": "parse database url"}},
	}
	all := map[string]string{}
	wantAll := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadAll(tt.give)
			checkProblems(t, err, tt.want)
		})
		switch {
		case strings.Contains(tt.name, "DATABASE_URL"), tt.name == "none at all", tt.name == "servers alone need a state URL",
			tt.name == "an override in the single case":
			continue // these need a DATABASE_URL, or none, of their own
		case tt.name == "an override of no database", tt.name == "a remote of an override":
			continue // with a server, an override may be of a database found there; one BACKUP_REMOTES_BILLING
		}
		for k, v := range tt.give {
			all[k] = v
		}
		for k, v := range tt.want {
			wantAll[k] = v
		}
	}
	t.Run("every problem at once", func(t *testing.T) {
		_, err := loadAll(all)
		checkProblems(t, err, wantAll)
	})
}

// checkProblems wants exactly the variables of want, each with its fragment,
// and no password anywhere.
func checkProblems(t *testing.T, err error, want map[string]string) {
	t.Helper()
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("want Problems, got %v", err)
	}
	got := map[string]string{}
	for _, x := range p {
		got[x.Var] += x.Msg + "\n"
	}
	for v, frag := range want {
		if !strings.Contains(got[v], frag) {
			t.Errorf("%s: want %q in its problem, got %q", v, frag, got[v])
		}
	}
	for v := range got {
		if _, ok := want[v]; !ok {
			t.Errorf("unexpected problem %s: %s", v, got[v])
		}
	}
	for _, pw := range []string{appPW, billingPW, crmPW, serverPW, restorePW, statePW} {
		if strings.Contains(err.Error(), pw) {
			t.Errorf("password %q in:\n%v", pw, err)
		}
	}
}

// An override is read by the global variable's own reader: a bad value is
// refused with the same words, the database named; a good one gives the
// database the settings the global variable would give the configuration.
func TestOverridesUseTheGlobalReaders(t *testing.T) {
	values := map[string]struct{ good, bad string }{ // bad "": the reader refuses nothing
		"BACKUP_SCHEDULE":            {"15 1 * * *", "hourly"},
		"CLEANUP_SCHEDULE":           {"", "61 * * * *"},
		"RESTORE_TEST_SCHEDULE":      {"0 5 * * 1", "x"},
		"BACKUP_MAX_AGE_HOURS":       {"200", "0"},
		"BACKUP_KEEP_DAILY":          {"40", "3651"},
		"BACKUP_KEEP_MONTHLY":        {"0", "-1"},
		"BACKUP_KEEP_HOURLY":         {"48", "1e3"},
		"BACKUP_KEEP_WEEKLY":         {"9", "521"},
		"STATUS_TABLES":              {"s.t,u", "a b"},
		"KEYS_TABLE":                 {"tokens", "drop table;"},
		"KEYS_AGE_COLUMN":            {"seen_at", "a b"},
		"DB_CLEANUP_RETENTION_DAYS":  {"7", "0"},
		"CLEANUP_EXPIRES_COLUMN":     {"", "x y"},
		"CLEANUP_PROTECTED_TYPES":    {"a,b", ""},
		"CLEANUP_BATCH_SIZE":         {"100", "100001"},
		"CLEANUP_VACUUM":             {"off", "maybe"},
		"CLEANUP_WARN_ROWS":          {"0", "-5"},
		"CLEANUP_MAX_ROWS":           {"10", "ten"},
		"CLEANUP_MAX_SHARE":          {"1", "0"},
		"RESTORE_FINGERPRINT_TABLES": {"a,b", "1x-"},
		"RESTORE_DATABASE_URL":       {"postgres://r:" + restorePW + "@db9/postgres", "postgres://r:" + restorePW + "@[x"},
		"BACKUP_REMOTES":             {"msk=s3://bucket/p", "msk=ftp://x"},
	}
	for _, s := range Overridable {
		v, ok := values[s]
		if !ok {
			t.Errorf("%s is overridable but has no values here", s)
			continue
		}
		t.Run(s, func(t *testing.T) {
			global, err := loadAll(map[string]string{"DATABASE_URL": crmURL, s: v.good})
			if err != nil {
				t.Fatal(err)
			}
			named, err := loadAll(map[string]string{"DATABASE_URL_CRM": crmURL, s + "_CRM": v.good})
			if err != nil {
				t.Fatal(err)
			}
			want, got := global.Databases[0].Config, named.Databases[0].Config
			// What a named database has of its own, besides the override.
			got.BackupDir = want.BackupDir
			for i := range got.Remotes {
				got.Remotes[i].Prefix = strings.TrimSuffix(strings.TrimSuffix(got.Remotes[i].Prefix, "crm"), "/")
			}
			got.secretVars, want.secretVars = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s_CRM=%q gives\n%v\nbut %s does\n%v", s, v.good, got, s, want)
			}
			if v.bad == "" {
				return
			}
			_, gerr := loadAll(map[string]string{"DATABASE_URL": crmURL, s: v.bad})
			_, nerr := loadAll(map[string]string{"DATABASE_URL_CRM": crmURL, s + "_CRM": v.bad})
			var gp, np Problems
			if !errors.As(gerr, &gp) || !errors.As(nerr, &np) || len(gp) != 1 || len(np) != 1 {
				t.Fatalf("want one problem each:\n%v\n%v", gerr, nerr)
			}
			if wantP := (Problem{Var: s + "_CRM", Msg: "database crm: " + gp[0].Msg}); np[0] != wantP {
				t.Errorf("got  %v\nwant %v", np[0], wantP)
			}
		})
	}
}

// Every password of every connection string is a secret; their variables
// are kept from the copy command; printing the configuration masks them.
func TestSecretsOfSeveralDatabases(t *testing.T) {
	c, err := loadAll(map[string]string{
		"DATABASE_URL_BILLING":                billingURL,
		"DATABASE_URL_CRM":                    crmURL,
		"DATABASE_SERVER_DB3":                 serverURL,
		"RESTORE_DATABASE_URL_CRM":            "postgres://r:" + restorePW + "@db9/postgres",
		"PGKEEPER_STATE_URL":                  "postgres://s:" + statePW + "@db5/pgkeeper",
		"BACKUP_REMOTES_CRM":                  "spb=s3://bucket",
		"BACKUP_REMOTE_SPB_ACCESS_KEY_ID":     "K",
		"BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY": spbSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{billingPW, crmPW, serverPW, restorePW, statePW, spbSecret}
	for _, cfg := range []Config{c, c.Databases[0].Config, c.Databases[1].Config, c.Discovered("x", "postgres://u@db3/x").Config} {
		for _, s := range secrets {
			if !slices.Contains(cfg.Secrets(), s) {
				t.Errorf("Secrets() lacks %q", s)
			}
		}
		for _, v := range []string{"DATABASE_URL_BILLING", "DATABASE_URL_CRM", "DATABASE_SERVER_DB3", "RESTORE_DATABASE_URL_CRM",
			"PGKEEPER_STATE_URL", "BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "DATABASE_URL"} {
			if !slices.Contains(cfg.SecretVariables(), v) {
				t.Errorf("SecretVariables() lacks %s", v)
			}
		}
	}
	for _, shown := range []string{c.String(), fmt.Sprintf("%#v", c), fmt.Sprint(c.Databases), fmt.Sprintf("%+v", c.Databases[1]),
		fmt.Sprintf("%#v", c.Servers), fmt.Sprint(c.Servers[0])} {
		for _, s := range secrets {
			if strings.Contains(shown, s) {
				t.Errorf("secret %q shown in:\n%s", s, shown)
			}
		}
	}
}

// What main lists for Load, and that no overridable setting's variables can
// be mistaken for another's.
func TestScanned(t *testing.T) {
	for give, want := range map[string]bool{"DATABASE_URL_X": true, "DATABASE_SERVER_A_EXCLUDE": true, "BACKUP_KEEP_DAILY_X": true,
		"BACKUP_REMOTE_MSK_REGION": true, "BACKUP_REMOTES_X": true, "DATABASE_URL": false, "BACKUP_KEEP_DAILY": false, "HOME": false,
		"TEST_DATABASE_URL": false} {
		if got := Scanned(give); got != want {
			t.Errorf("Scanned(%s) = %v", give, got)
		}
	}
	for _, s := range Overridable {
		for _, o := range append(slices.Clone(Overridable), "DATABASE_URL", "DATABASE_SERVER") {
			if o != s && strings.HasPrefix(o+"_", s+"_") {
				t.Errorf("%s_<NAME> could be %s's", o, s)
			}
		}
	}
}
