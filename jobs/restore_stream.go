package jobs

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/pgkeeper/pgkeeper/store"
)

// restoreSuffix names the decompressed copy a parallel restore needs; only
// such files of pgkeeper's own backups are ever swept (see restore).
const restoreSuffix = ".restore.tmp"

// restore runs pg_restore into the scratch database. One job (the default)
// streams: the backup is decompressed in Go straight into pg_restore's stdin,
// so nothing is written but the database. pg_restore -j needs a seekable
// file, so N > 1 jobs first decompress into BACKUP_DIR.
// One streamed job is the default because -j2 via a file was no faster and
// cost a decompressed copy's disk (see bench/restore/README.md).
// src is where the compressed dump comes from; nil: the file in BACKUP_DIR.
func (t *RestoreTest) restore(ctx context.Context, tg target, m Manifest, src dumpSource, scratch string, tk *ticker) error {
	env, err := store.ClientEnv(tg.dsn, scratch)
	if err != nil {
		return err
	}
	// The database goes in a connection string so that no database name,
	// however odd, is taken for options; the rest comes from env.
	args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--dbname=dbname=" + connValue(scratch)}
	if src == nil {
		src = localDump(filepath.Join(t.Config.BackupDir, m.DumpFile()))
	}
	if tg.jobs <= 1 {
		tk.set("restoring", m.RawBytes)
		return streamRestore(ctx, tg.tool, env, args, src, m, &tk.fed)
	}
	tmp := filepath.Join(t.Config.BackupDir, m.Name+restoreSuffix)
	os.Remove(tmp) // a crashed run's copy; we hold the heavy-job lock
	defer os.Remove(tmp)
	tk.set("decompressing", m.RawBytes)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return writeError(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = decompressFrom(ctx, src, m, io.MultiWriter(bw, &tk.fed))
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	tk.set("restoring with "+strconv.Itoa(tg.jobs)+" jobs", 0)
	cmd := pgProc(ctx, tg.tool, env, append(args, "--jobs="+strconv.Itoa(tg.jobs), tmp)...)
	stderr := newTail(4096)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("pg_restore stopped: %w", ctx.Err())
		}
		return procError("pg_restore", err, stderr)
	}
	return nil
}

// connValue quotes a value for a libpq connection string.
func connValue(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// dumpSource opens the compressed dump a restore reads. done is called once
// with the outcome of reading it, and returns the error that best names what
// went wrong (a remote object that changed explains a dump that does not
// decompress); it also releases what open took.
type dumpSource func(ctx context.Context) (r io.Reader, done func(error) error, err error)

// localDump is the dump file in BACKUP_DIR.
func localDump(path string) dumpSource {
	return func(context.Context) (io.Reader, func(error) error, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("open backup: %w", err)
		}
		return bufio.NewReaderSize(f, 1<<20), func(err error) error { f.Close(); return err }, nil
	}
}

// decompressFrom opens src and decompresses it, checked, into w.
func decompressFrom(ctx context.Context, src dumpSource, m Manifest, w io.Writer) error {
	r, done, err := src(ctx)
	if err != nil {
		return err
	}
	return done(decompressChecked(ctx, r, m, w))
}

// streamRestore feeds src, decompressed, into pg_restore's stdin. When
// pg_restore stops early, the rest is still decompressed (into the void) so
// that a damaged file is named as the cause rather than pg_restore's
// complaint about the garbage it was given.
func streamRestore(ctx context.Context, tool Tool, env, args []string, src dumpSource, m Manifest, fed *counter) error {
	cmd := pgProc(ctx, tool, env, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("pg_restore: %w", err)
	}
	stderr := newTail(4096)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start pg_restore: %w", err)
	}
	sink := &forgivingWriter{w: stdin}
	fileErr := decompressFrom(ctx, src, m, io.MultiWriter(sink, fed))
	stdin.Close()
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("pg_restore stopped: %w", ctx.Err())
	case fileErr != nil:
		return fileErr
	case waitErr != nil:
		return procError("pg_restore", waitErr, stderr)
	}
	return nil
}

// decompressChecked decompresses src (the compressed dump) into w and proves
// it is the one its manifest describes: it decodes (zstd checks its own
// frame checksum), its sha256 matches, and it yields exactly the raw size
// dumped.
func decompressChecked(ctx context.Context, src io.Reader, m Manifest, w io.Writer) error {
	h := sha256.New()
	in := io.TeeReader(src, h)
	dec, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(2))
	if err != nil {
		return fmt.Errorf("zstd: %w", err)
	}
	defer dec.Close()
	rd := &ctxReader{ctx: ctx, r: dec}
	n, err := io.Copy(w, rd)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil && rd.err == nil {
		return writeError(err) // the decompressed copy of a parallel restore
	}
	if err != nil {
		return fmt.Errorf("%w: %s does not decompress after %d bytes: %v", ErrCorruptBackup, m.DumpFile(), n, err)
	}
	if _, err := io.Copy(io.Discard, in); err != nil { // the hash covers the whole file
		return fmt.Errorf("read backup: %w", err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); m.SHA256 != "" && sum != m.SHA256 {
		return fmt.Errorf("%w: sha256 of %s is %s, its manifest says %s", ErrCorruptBackup, m.DumpFile(), sum, m.SHA256)
	}
	if m.RawBytes > 0 && n != m.RawBytes {
		return fmt.Errorf("%w: %s decompresses to %d bytes, its manifest says %d", ErrCorruptBackup, m.DumpFile(), n, m.RawBytes)
	}
	return nil
}

// ctxReader stops a copy at the next read once ctx is done, and keeps the
// read error apart from the writer's.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}
