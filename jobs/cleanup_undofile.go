package jobs

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"

	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// An undo file, BACKUP_DIR/undo/<run>.undo.zst (0600), is zstd-compressed
// JSON lines, readable with zstdcat: a header object, then every deleted
// row as an array of its column values in text form (null for NULL), with
// marker objects between batches. Rows are made durable (flushed, fsynced)
// before their batch commits, so the file always holds every row that went;
// a batch that then failed to commit is marked rolled back, so it holds
// nothing else. The run's manifest, <run>.undo.json, is written at the end.
const (
	undoFormat         = "pgkeeper-undo-1"
	undoSuffix         = ".undo.zst"
	undoManifestSuffix = ".undo.json"
)

// undoHeader is the first line of an undo file.
type undoHeader struct {
	Format  string         `json:"format"`
	Run     string         `json:"run"`
	Table   string         `json:"table"`
	Columns []store.Column `json:"columns"`
	Cutoff  time.Time      `json:"cutoff"`
	Started time.Time      `json:"started"`
	Trigger vocab.Trigger  `json:"trigger,omitempty"`
	// The database whose rows these are: BACKUP_DIR/undo may be shared.
	Database string `json:"database,omitempty"`
	SystemID string `json:"system_identifier,omitempty"`
}

// undoMarker is any line that is not a row: the end of batch Batch (Rows
// rows precede it), the rollback of batch Rollback, the discard of rows not
// yet closed by a batch marker, or the end of the file.
type undoMarker struct {
	Batch    int   `json:"batch,omitempty"`
	Rows     int   `json:"rows,omitempty"`
	Rollback int   `json:"rollback,omitempty"`
	Discard  bool  `json:"discard,omitempty"`
	End      bool  `json:"end,omitempty"`
	Total    int64 `json:"total,omitempty"`
}

// undoWriter writes an undo file while a cleanup deletes.
type undoWriter struct {
	path    string
	f       *os.File
	bw      *bufio.Writer
	enc     *zstd.Encoder
	batch   int // batches closed so far
	pending int // rows written since the last batch marker
	buf     []byte
}

// createUndo creates dir (0700) and the run's undo file (0600, never over
// an existing one) and writes its header.
func createUndo(dir string, h undoHeader) (*undoWriter, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("undo dir: %w", err)
	}
	path := filepath.Join(dir, h.Run+undoSuffix)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("undo file: %w", err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	enc, err := newEncoder(bw)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("undo file: %w", err)
	}
	w := &undoWriter{path: path, f: f, bw: bw, enc: enc}
	h.Format = undoFormat
	if err := w.line(h); err != nil {
		w.abandon()
		return nil, err
	}
	return w, nil
}

func (w *undoWriter) line(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("undo file: %w", err)
	}
	if _, err := w.enc.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("undo file: %w", err)
	}
	return nil
}

// row appends one deleted row. Values must be valid UTF-8 (PostgreSQL sends
// UTF-8 to pgkeeper), or the file could not give them back exactly.
func (w *undoWriter) row(vals []*string) error {
	b := append(w.buf[:0], '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		if v == nil {
			b = append(b, "null"...)
			continue
		}
		if !utf8.ValidString(*v) {
			return errors.New("undo file: a value is not valid UTF-8, so it could not be restored exactly")
		}
		b = appendJSONString(b, *v)
	}
	b = append(b, ']', '\n')
	w.buf = b
	w.pending++
	if _, err := w.enc.Write(b); err != nil {
		return fmt.Errorf("undo file: %w", err)
	}
	return nil
}

// appendJSONString is a JSON string literal of valid UTF-8 s: faster than
// encoding/json for the millions of values a large cleanup writes.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	return append(append(b, s[start:]...), '"')
}

// commitPoint closes the rows written since the last one as a batch and puts
// them on disk: called just before the batch commits.
func (w *undoWriter) commitPoint() error {
	w.batch++
	if err := w.line(undoMarker{Batch: w.batch, Rows: w.pending}); err != nil {
		return err
	}
	w.pending = 0
	return w.sync()
}

// failed records that the current batch's rows did not go: the rows written
// since the last commit point (committed false, before it), or the whole
// last batch (its commit failed). The next sync makes it durable; were it
// lost, undo would only skip those rows, which are still in the table.
func (w *undoWriter) failed(afterCommitPoint bool) error {
	if afterCommitPoint {
		return w.line(undoMarker{Rollback: w.batch})
	}
	if w.pending == 0 {
		return nil
	}
	w.pending = 0
	return w.line(undoMarker{Discard: true})
}

func (w *undoWriter) sync() error {
	if err := w.enc.Flush(); err != nil {
		return fmt.Errorf("undo file: %w", err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("undo file: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("undo file: fsync: %w", err)
	}
	return nil
}

// close ends the file with the number of rows it holds.
func (w *undoWriter) close(total int64) error {
	err := w.line(undoMarker{End: true, Total: total})
	if err == nil {
		err = w.enc.Close()
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("undo file: %w", err)
	}
	return syncDir(filepath.Dir(w.path))
}

// abandon removes a file that holds no deleted row.
func (w *undoWriter) abandon() {
	w.enc.Close()
	w.f.Close()
	os.Remove(w.path)
}

// undoRunName is the run id of a cleanup started at t; n > 0 disambiguates
// two runs within one second.
func undoRunName(t time.Time, n int) string {
	name := "cleanup-" + t.UTC().Format(nameTimeLayout)
	if n > 0 {
		name += "-" + strconv.Itoa(n)
	}
	return name
}
