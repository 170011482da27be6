package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// pickSelection takes --db and --all out of any place among a command's
// arguments and leaves the rest as they were; bad combinations are usage
// errors.
func TestPickSelection(t *testing.T) {
	tests := []struct {
		name     string
		cmd      string
		args     []string
		want     selection
		wantRest []string
		wantErr  string
	}{
		{"none", "backup", []string{"--dry-run"}, selection{}, []string{"--dry-run"}, ""},
		{"--db NAME after a flag", "backup", []string{"--dry-run", "--db", "crm"}, selection{db: "crm"}, []string{"--dry-run"}, ""},
		{"-db=NAME upper-case", "status", []string{"-db=CRM"}, selection{db: "crm"}, nil, ""},
		{"--all among others", "cleanup", []string{"--yes", "--all", "--batch-size", "10"}, selection{all: true}, []string{"--yes", "--batch-size", "10"}, ""},
		{"undo's run stays", "cleanup", []string{"--undo", "20261130T030000Z", "--db", "app"}, selection{db: "app"}, []string{"--undo", "20261130T030000Z"}, ""},
		{"status --all", "status", []string{"--all"}, selection{all: true}, nil, ""},
		{"--all on check", "check", []string{"--all"}, selection{}, nil, "--all is for backup"},
		{"--all on serve", "serve", []string{"--all"}, selection{}, nil, "--all is for backup"},
		{"--all=true", "backup", []string{"--all=true"}, selection{}, nil, "--all takes no value"},
		{"--db then a flag", "backup", []string{"--db", "--dry-run"}, selection{}, nil, "--db needs the database's name"},
		{"--db=", "backup", []string{"--db="}, selection{}, nil, "--db needs the database's name"},
		{"two --db", "backup", []string{"--db", "a", "--db", "b"}, selection{}, nil, "--db is given once"},
		{"both", "backups", []string{"--all", "--db", "a"}, selection{}, nil, "not both"},
		{"restore-test --all --backup", "restore-test", []string{"--all", "-backup=x"}, selection{}, nil, "--backup names one database's backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, rest, err := pickSelection(tt.cmd, tt.args)
			if tt.wantErr != "" {
				var e *exitError
				if !errors.As(err, &e) || e.code != exitUsage || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want exit 2 with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || sel != tt.want || !slices.Equal(rest, tt.wantRest) {
				t.Errorf("got %+v %q %v, want %+v %q", sel, rest, err, tt.want, tt.wantRest)
			}
		})
	}
}
