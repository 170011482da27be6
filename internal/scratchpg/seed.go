package scratchpg

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The reference Baileys schema and generator (also bench/cluster.sh's).
var (
	//go:embed sql/baileys-schema.sql
	schemaSQL string
	//go:embed sql/seed-baileys.sql
	seedSQL string
)

// Seed is how much Baileys-shaped data FillBaileys makes: Companies rows in
// whatsapp_auth, Keys rows in whatsapp_keys, their ages spread over Days.
type Seed struct{ Companies, Keys, Days int }

// FillBaileys creates the Baileys schema in dbURL's database and fills it,
// with psql from binDir (the generator uses psql's meta-commands). The
// password goes in PGPASSWORD, never argv, where anyone could read it.
func FillBaileys(ctx context.Context, binDir, dbURL string, s Seed) error {
	if s.Companies < 0 || s.Keys < 0 || s.Days < 0 || (s.Keys > 0 && s.Companies < 1) {
		return fmt.Errorf("scratchpg: invalid %+v: counts must be >= 0 and keys need at least one company", s)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return fmt.Errorf("scratchpg: database URL: %w", err)
	}
	pw, hasPW := u.User.Password()
	u.User = url.User(u.User.Username())
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-v", "companies="+strconv.Itoa(s.Companies),
		"-v", "keys="+strconv.Itoa(s.Keys),
		"-v", "days="+strconv.Itoa(s.Days),
		"-f", "-", "-d", u.String())
	cmd.Stdin = strings.NewReader(schemaSQL + "\n" + seedSQL)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=30")
	if hasPW {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+pw)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scratchpg: seed Baileys data: %w\n%s", err, out)
	}
	return nil
}

// CreateDB creates database name on the cluster, with createdb from binDir.
func (c *Cluster) CreateDB(ctx context.Context, binDir, name string) error {
	u, _ := url.Parse(c.URL)
	pw, _ := u.User.Password()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "createdb"), "-h", "127.0.0.1",
		"-p", strconv.Itoa(c.Port), "-U", u.User.Username(), "-w", name)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+pw)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scratchpg: createdb %s: %w\n%s", name, err, out)
	}
	return nil
}

// DBURL is the superuser's URL of database name on the cluster.
func (c *Cluster) DBURL(name string) string {
	u, _ := url.Parse(c.URL)
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}
