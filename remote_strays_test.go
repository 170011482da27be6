package main

import (
	"os"
	"strings"
	"testing"
)

// A remote's variable for a remote BACKUP_REMOTES does not name, in the
// environment or in .env, stops pgkeeper at start: a typo in a variable's
// name is never ignored without a word.
func TestStrayRemoteVariablesAreRefused(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile(".env", []byte("DATABASE_URL=postgres://u@127.0.0.1:1/x\nBACKUP_REMOTES=msk=s3://bucket/p\n"+
		"BACKUP_REMOTE_SPB_REGION=ru-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BACKUP_REMOTE_MSK_ENDPONT", "https://s3.example.com")
	t.Setenv("BACKUP_REMOTE_MSK_REGION", "ru-1")
	_, err := readConfig(os.LookupEnv, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"BACKUP_REMOTE_SPB_REGION: set, but no remote spb in BACKUP_REMOTES", "BACKUP_REMOTE_MSK_ENDPONT: not a setting"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "BACKUP_REMOTE_MSK_REGION") {
		t.Errorf("a configured remote's variable refused:\n%v", err)
	}
}
