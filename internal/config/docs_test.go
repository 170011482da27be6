package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every variable Load reads is in the README's configuration table and in
// .env.example: the README is the user's door, and a setting nobody can find
// does not exist.
func TestEveryVariableIsDocumented(t *testing.T) {
	var src []byte
	for _, f := range []string{"config.go", "remotes.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "## Configuration")
	table, _, _ = strings.Cut(table, "\n## ")
	names := regexp.MustCompile(`r\.\w+\("([A-Z_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(names) < 30 {
		t.Fatalf("found only %d variables in config.go: the pattern no longer matches how Load reads them", len(names))
	}
	for _, m := range names {
		name := m[1]
		if !regexp.MustCompile(`\|[^\n]*\b` + name + `\b[^\n]*\|`).MatchString(table) {
			t.Errorf("%s is not in the README's configuration table", name)
		}
		if !regexp.MustCompile(`(?m)^#?` + name + `=`).Match(example) {
			t.Errorf("%s is not in .env.example", name)
		}
	}
	// Each remote's own settings: a row for BACKUP_REMOTE_<NAME>_X, and an
	// example for one of the two remotes .env.example shows.
	for _, setting := range RemoteSettings {
		if !regexp.MustCompile(`\|[^\n]*\bBACKUP_REMOTE_<NAME>_` + setting + `\b[^\n]*\|`).MatchString(table) {
			t.Errorf("BACKUP_REMOTE_<NAME>_%s is not in the README's configuration table", setting)
		}
		if !regexp.MustCompile(`(?m)^#?BACKUP_REMOTE_(MSK|SPB)_` + setting + `=`).Match(example) {
			t.Errorf("BACKUP_REMOTE_MSK_%s (or SPB) is not in .env.example", setting)
		}
	}
}

// Every range of ranges.go is in the README's configuration table, on the
// variable's own row, as "range: …" says it: an operator reads the range
// there before Load refuses a value.
func TestEveryRangeIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "## Configuration")
	table, _, _ = strings.Cut(table, "\n## ")
	ranges := map[string]string{}
	for name, s := range wholeRanges {
		ranges[name] = s.String()
	}
	for name, s := range shareRanges {
		ranges[name] = s.String()
	}
	for name, s := range durationRanges {
		ranges[name] = s.String()
	}
	row := regexp.MustCompile(`(?m)^\|[^|\n]*\bBACKUP_REMOTE_<NAME>_KEEP\b[^\n]*$`).FindString(table)
	for tier, s := range keepRanges {
		if !strings.Contains(row, tier+" "+s.String()) {
			t.Errorf("the README's row of BACKUP_REMOTE_<NAME>_KEEP does not give the range of %s, %q:\n%s", tier, tier+" "+s.String(), row)
		}
	}
	for name, rng := range ranges {
		row := regexp.MustCompile(`(?m)^\|[^|\n]*\b` + name + `\b[^\n]*$`).FindString(table)
		if !strings.Contains(row, "range: ") || !strings.Contains(row, rng) {
			t.Errorf("the README's row of %s does not give its range %q:\n%s", name, rng, row)
		}
	}
}

// The variables of several databases are in the README's configuration
// table, the row of <SETTING>_<NAME> listing every setting a database may
// override, and in .env.example.
func TestDatabaseVariablesAreDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "## Configuration")
	table, _, _ = strings.Cut(table, "\n## ")
	row := func(name string) string {
		return regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta("`"+name+"`") + ` \|[^\n]*$`).FindString(table)
	}
	for _, name := range []string{"DATABASE_URL_<NAME>", "<SETTING>_<NAME>", "DATABASE_SERVER_<NAME>", "DATABASE_SERVER_<NAME>_EXCLUDE"} {
		if row(name) == "" {
			t.Errorf("%s has no row of its own in the README's configuration table", name)
		}
	}
	overrides := row("<SETTING>_<NAME>")
	for _, s := range Overridable {
		if !regexp.MustCompile(`\b` + s + `\b`).MatchString(overrides) {
			t.Errorf("%s is overridable, but the README's row of <SETTING>_<NAME> does not say so", s)
		}
	}
	for _, re := range []string{`(?m)^#DATABASE_URL_[A-Z0-9_]+=`, `(?m)^#DATABASE_SERVER_[A-Z0-9_]+=`,
		`(?m)^#DATABASE_SERVER_[A-Z0-9_]+_EXCLUDE=`, `(?m)^#BACKUP_SCHEDULE_[A-Z0-9_]+=`} {
		if !regexp.MustCompile(re).Match(example) {
			t.Errorf(".env.example has no example matching %s", re)
		}
	}
	if !strings.Contains(string(readme), "\n## Several databases\n") {
		t.Error("the README has no Several databases section")
	}
}
