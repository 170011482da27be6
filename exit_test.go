package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/redact"
)

// exit is the one place an error becomes an exit code and a stderr line.
func TestExit(t *testing.T) {
	tests := []struct {
		name     string
		cmd      string
		give     error
		wantCode int
		wantErr  string
	}{
		{"success", "backup", nil, exitOK, ""},
		{"a plain error fails", "backup", errors.New("boom"), exitFailed, "pgkeeper backup: boom\n"},
		{"failed", "restore", failed(errors.New("no such backup")), exitFailed, "pgkeeper restore: no such backup\n"},
		{"misused", "status", misused("takes no arguments, got %q", []string{"x"}), exitUsage, "pgkeeper status: takes no arguments, got [\"x\"]\n"},
		{"with the usage", "backups", misusedShowUsage(errors.New("bad")), exitUsage, "pgkeeper backups: bad\n\n" + usage},
		{"pgkeeper itself", "", misusedShowUsage(errors.New(`unknown command "x"`)), exitUsage, "pgkeeper: unknown command \"x\"\n\n" + usage},
		{"named otherwise", "cleanup", &exitError{code: exitFailed, err: errors.New("no undo file"), as: "cleanup --undo"}, exitFailed,
			"pgkeeper cleanup --undo: no undo file\n"},
		{"quietly", "check", quietly(exitFailed), exitFailed, ""},
		{"redacted", "backup", failed(errors.New("password s3cret refused")), exitFailed, "pgkeeper backup: password " + redact.Mask + " refused\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := exit(&stderr, redact.New("s3cret"), tt.cmd, tt.give); code != tt.wantCode || stderr.String() != tt.wantErr {
				t.Errorf("exit %d (want %d), stderr %q, want %q", code, tt.wantCode, stderr.String(), tt.wantErr)
			}
		})
	}
}
