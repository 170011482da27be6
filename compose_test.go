package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// docker-compose.yml is valid for docker-compose (there is no Docker engine
// here to run it), wires pgkeeper to its PostgreSQL and its backups volume,
// and refuses to start without POSTGRES_PASSWORD.
func TestComposeFileIsValid(t *testing.T) {
	if _, err := exec.LookPath("docker-compose"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("docker-compose is missing: .ci/run installs Debian's package")
		}
		t.Skip("docker-compose is not installed (apt-get install docker-compose)")
	}
	tests := []struct {
		name     string
		password string
		want     []string // in `docker-compose config`'s output, or its error
		fails    bool
	}{
		{"with a password", "s3cret",
			[]string{"postgres://baileys:s3cret@postgres:5432/baileys", "condition: service_healthy", "BACKUP_DIR: /var/lib/pgkeeper/backups",
				"backups:/var/lib/pgkeeper/backups", "image: postgres:18", "PG_MAJOR: '18'"}, false},
		{"without one", "", []string{"set POSTGRES_PASSWORD in .env"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"docker-compose.yml", "Dockerfile"} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, f), data, 0o600)
			}
			env, err := os.ReadFile(".env.example")
			if err != nil {
				t.Fatal(err)
			}
			if tt.password != "" {
				env = append(env, []byte("\nPOSTGRES_PASSWORD="+tt.password+"\n")...)
			}
			os.WriteFile(filepath.Join(dir, ".env"), env, 0o600)
			cmd := exec.Command("docker-compose", "config")
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
			out, err := cmd.CombinedOutput()
			if (err != nil) != tt.fails {
				t.Fatalf("docker-compose config: %v\n%s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("docker-compose config does not say %q:\n%s", w, out)
				}
			}
		})
	}
}
