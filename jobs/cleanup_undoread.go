package jobs

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
)

// undoReader reads back the rows of an undo file that were really deleted.
type undoReader struct {
	Header  undoHeader
	r       *bufio.Reader
	dec     *zstd.Decoder
	f       *os.File
	pending [][]*string // rows not yet closed by a batch marker
	last    [][]*string // the last closed batch, until no rollback follows it
	lastNo  int
	ended   bool
}

func openUndo(path string) (*undoReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("undo file: %w", err)
	}
	dec, err := zstd.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("undo file: %w", err)
	}
	u := &undoReader{r: bufio.NewReaderSize(dec, 256<<10), dec: dec, f: f}
	line, err := u.r.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &u.Header)
	}
	if err != nil || u.Header.Format != undoFormat {
		u.Close()
		return nil, fmt.Errorf("undo file %s: not a pgkeeper undo file (%v)", filepath.Base(path), err)
	}
	return u, nil
}

// Next returns the rows of the next batch that went, or io.EOF. A file cut
// short by a crash gives back every batch it closed before the crash.
func (u *undoReader) Next() ([][]*string, error) {
	for !u.ended {
		line, err := u.r.ReadBytes('\n')
		if err != nil {
			u.ended = true // truncated: rows without a batch marker never committed
			break
		}
		if len(line) > 0 && line[0] == '[' {
			var row []*string
			if err := json.Unmarshal(line, &row); err != nil {
				return nil, fmt.Errorf("undo file: row: %w", err)
			}
			u.pending = append(u.pending, row)
			continue
		}
		var m undoMarker
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("undo file: marker: %w", err)
		}
		switch {
		case m.Rollback != 0 && m.Rollback == u.lastNo:
			u.last, u.lastNo = nil, 0
		case m.Discard:
			u.pending = nil
		case m.Batch != 0:
			out := u.last
			u.last, u.lastNo, u.pending = u.pending, m.Batch, nil
			if len(out) > 0 {
				return out, nil
			}
		case m.End:
			u.ended = true
		}
	}
	out := u.last
	u.last = nil
	if len(out) > 0 {
		return out, nil
	}
	return nil, io.EOF
}

// Close releases the file.
func (u *undoReader) Close() {
	u.dec.Close()
	u.f.Close()
}
