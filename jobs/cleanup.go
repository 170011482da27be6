package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// The cleanup's defaults are its settings' (CLEANUP_*), owned by config.
const defaultCleanupUndoTTL = config.DefaultUndoHours * time.Hour

// defaultProtectedTypes are config.DefaultProtectedTypes as a list.
func defaultProtectedTypes() []string { return strings.Split(config.DefaultProtectedTypes, ",") }

// CleanupConfig is what a cleanup deletes and the guards around it.
type CleanupConfig struct {
	KeysTable      vocab.Ident
	AgeColumn      string
	ExpiresColumn  string      // rows past this column's time are expired too; "" turns it off
	AuthTable      vocab.Ident // whatsapp_auth: never deleted from; its creds name the current pre-keys
	RetentionDays  int
	BatchSize      int      // rows per short transaction, at most
	ProtectedTypes []string // nil: config.DefaultProtectedTypes; empty non-nil: none
	Vacuum         bool     // VACUUM (ANALYZE) after deleting
	UndoDir        string   // BACKUP_DIR/undo
	UndoTTL        time.Duration
	WarnRows       int     // a run deleting more is a warning (Sentry level), else info
	MaxRows        int     // an unconfirmed run deletes nothing when it would delete more…
	MaxShare       float64 // …or more than this share of the table
}

// DefaultCleanupConfig is the configuration with every default, for the
// Baileys tables; undoDir is BACKUP_DIR/undo.
func DefaultCleanupConfig(undoDir string) CleanupConfig {
	return CleanupConfig{
		KeysTable: vocab.Ident{Name: config.DefaultKeysTable}, AgeColumn: config.DefaultKeysAgeColumn,
		ExpiresColumn: config.DefaultExpiresColumn, AuthTable: vocab.Ident{Name: store.CredentialsTable},
		RetentionDays: config.DefaultRetentionDays, BatchSize: config.DefaultCleanupBatch,
		ProtectedTypes: defaultProtectedTypes(), Vacuum: true, UndoDir: undoDir, UndoTTL: defaultCleanupUndoTTL,
		WarnRows: config.DefaultCleanupWarnRows, MaxRows: config.DefaultCleanupMaxRows, MaxShare: config.DefaultCleanupMaxShare,
	}
}

// Cleanup deletes expired Baileys keys without the live service noticing:
// short batches walking the table by page ranges, protected rows kept, an undo file of
// every deleted row, and guards against unconfirmed mass deletions.
type Cleanup struct {
	DB     *store.DB
	Config CleanupConfig
	Now    func() time.Time
}

func (c *Cleanup) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cleanup) batchSize() int {
	if c.Config.BatchSize > 0 {
		return c.Config.BatchSize
	}
	return config.DefaultCleanupBatch
}

func (c *Cleanup) undoTTL() time.Duration {
	if c.Config.UndoTTL > 0 {
		return c.Config.UndoTTL
	}
	return defaultCleanupUndoTTL
}

// spec is the store's description of what to delete, as of now. A missing
// retention is refused rather than defaulted: zero days would expire every key.
func (c *Cleanup) spec(now time.Time) (store.CleanupSpec, error) {
	cfg := c.Config
	if cfg.RetentionDays <= 0 {
		return store.CleanupSpec{}, fmt.Errorf("cleanup: retention must be at least one day, not %d", cfg.RetentionDays)
	}
	protected := cfg.ProtectedTypes
	if protected == nil {
		protected = defaultProtectedTypes()
	}
	auth := cfg.AuthTable
	if auth.Name == "" {
		auth = vocab.Ident{Name: store.CredentialsTable}
	}
	s := store.CleanupSpec{
		Table: cfg.KeysTable, AgeColumn: cfg.AgeColumn, ExpiresColumn: cfg.ExpiresColumn, AuthTable: auth,
		Protected: protected, Now: now, Cutoff: now.Add(-time.Duration(cfg.RetentionDays) * 24 * time.Hour),
	}
	return s, s.Check()
}

// Preview counts, exactly, what a cleanup would delete now and what it would
// keep by each rule, with the table's age distribution and sizes. It deletes
// nothing, takes no lock, and reads the whole keys table once.
func (c *Cleanup) Preview(ctx context.Context) (CleanupPreview, error) {
	spec, err := c.spec(c.now())
	if err != nil {
		return CleanupPreview{At: spec.Now, Table: c.Config.KeysTable}, err
	}
	return c.preview(ctx, spec)
}

func (c *Cleanup) preview(ctx context.Context, spec store.CleanupSpec) (CleanupPreview, error) {
	start := time.Now()
	p := CleanupPreview{At: spec.Now, Table: spec.Table, RetentionDays: c.Config.RetentionDays, AgeColumn: spec.AgeColumn,
		ExpiresColumn: spec.ExpiresColumn, Cutoff: spec.Cutoff, ProtectedTypes: spec.Protected}
	var err error
	if p.Sizes, err = c.DB.RelationSizes(ctx, spec.Table); err != nil {
		return p, fmt.Errorf("cleanup preview: %w", err)
	}
	if p.Counts, err = c.DB.CleanupCounts(ctx, spec); err != nil {
		return p, fmt.Errorf("cleanup preview: %w", err)
	}
	p.Guard = c.guard(p.Counts)
	p.Took = time.Since(start)
	return p, nil
}

// guard says why a run nobody confirmed must not delete what counts selects;
// "" when it may. A bulk deletion by a schedule is how a wrong clock or a
// wrong setting would wipe the sessions of every number.
func (c *Cleanup) guard(counts store.CleanupCounts) string {
	cfg := c.Config
	n := counts.Expired
	if n == 0 {
		return ""
	}
	if n > int64(cfg.MaxRows) {
		return fmt.Sprintf("%s keys to delete, over CLEANUP_MAX_ROWS (%s)", humanize.Int(n), humanize.Int(int64(cfg.MaxRows)))
	}
	if counts.Rows > 0 && float64(n) > cfg.MaxShare*float64(counts.Rows) {
		return fmt.Sprintf("%s of the table to delete, over CLEANUP_MAX_SHARE (%s)",
			humanize.Percent(float64(n)/float64(counts.Rows)), humanize.Percent(cfg.MaxShare))
	}
	return ""
}

// unconfirmedLimit is the most an unconfirmed run may delete, so that a table
// that changed since the guard looked cannot carry it past the limits.
func (c *Cleanup) unconfirmedLimit(rows int64) int64 {
	limit := int64(c.Config.MaxRows)
	if share := int64(c.Config.MaxShare * float64(rows)); share < limit {
		limit = share
	}
	return max(limit, 0)
}
