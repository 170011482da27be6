package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/pgkeeper/pgkeeper/internal/scratchpg"
)

// demoDB is the demo's database, named as a Baileys service's would be.
const demoDB = "baileys"

// demoUser is the throwaway cluster's superuser; its password is new each run.
const demoUser = "pgkeeper_demo"

// binFinder finds a directory holding every binary of need (trying first
// first): scratchpg.FindBinDir, or a test's.
type binFinder func(need []string, first ...string) (string, error)

// demoTools finds the server binaries and the client tools of one major,
// or says which package brings what is missing.
func demoTools(find binFinder) (server, client string, err error) {
	server, err = find(scratchpg.Bins)
	if err != nil {
		return "", "", failed(fmt.Errorf("the demo starts a throwaway PostgreSQL, and this machine has no server "+
			"(initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql/*/bin: install it with "+
			"`apt-get install %s` (or your system's PostgreSQL server package), then run it again", scratchpg.Package(true)))
	}
	need := append([]string{"createdb"}, scratchpg.ClientBins...)
	client, err = find(need, server)
	if err != nil {
		pkg := "postgresql-client-" + filepath.Base(filepath.Dir(server))
		return "", "", failed(fmt.Errorf("the demo backs up with pg_dump and restores with pg_restore, and found no "+
			"directory with %v beside the server (%s) or on PATH: install them with `apt-get install %s`", need, server, pkg))
	}
	return server, client, nil
}

// demoCluster starts the throwaway cluster and fills its Baileys database;
// the caller stops it (Stop) or leaves it running (Keep).
func demoCluster(ctx context.Context, server, client string, seed scratchpg.Seed, say func(string, ...any)) (*scratchpg.Cluster, error) {
	c, err := scratchpg.Start(server, scratchpg.Options{User: demoUser, Password: demoPassword(), Prefix: "pgkeeper-demo-"})
	if err != nil {
		return nil, fmt.Errorf("start a throwaway PostgreSQL: %w", err)
	}
	say("A throwaway PostgreSQL (%s) listens on 127.0.0.1:%d; its data is in %s.", server, c.Port, c.Base)
	say("Filling database %q with the reference Baileys data: %d companies, %d keys over %d days (about a minute)…",
		demoDB, seed.Companies, seed.Keys, seed.Days)
	if err := c.CreateDB(ctx, client, demoDB); err != nil {
		c.Stop()
		return nil, err
	}
	if err := scratchpg.FillBaileys(ctx, client, c.DBURL(demoDB), seed); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}
