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
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
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
	for name, rng := range ranges {
		row := regexp.MustCompile(`(?m)^\|[^|\n]*\b` + name + `\b[^\n]*$`).FindString(table)
		if !strings.Contains(row, "range: ") || !strings.Contains(row, rng) {
			t.Errorf("the README's row of %s does not give its range %q:\n%s", name, rng, row)
		}
	}
}
