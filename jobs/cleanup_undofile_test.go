package jobs

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/store"
)

func ptr(s string) *string { return &s }

// TestUndoFileKeepsExactlyWhatWent writes batches the way a run does (one
// committed, one whose commit failed, rows discarded before a commit point)
// and reads back only the committed rows, values byte for byte; a copy cut
// short by a crash still gives back the batches closed before the cut.
func TestUndoFileKeepsExactlyWhatWent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "undo")
	h := undoHeader{Run: undoRunName(time.Date(2026, 11, 28, 3, 30, 0, 0, time.UTC), 0), Table: "whatsapp_keys",
		Columns: []store.Column{{Name: "key_id", Type: "text"}, {Name: "value", Type: "jsonb"}}}
	w, err := createUndo(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	odd := "quote\" backslash\\ newline\n tab\t nul-ish\x01 é 漢 \u2028 <&>"
	steps := []func() error{
		func() error { return w.row([]*string{ptr("1"), ptr(odd)}) },
		func() error { return w.row([]*string{ptr("2"), nil}) },
		w.commitPoint, // batch 1: committed
		func() error { return w.row([]*string{ptr("3"), ptr("{}")}) },
		w.commitPoint,                          // batch 2…
		func() error { return w.failed(true) }, // …whose COMMIT failed
		func() error { return w.row([]*string{ptr("4"), ptr("{}")}) },
		func() error { return w.failed(false) }, // the undo write failed before the commit point
		func() error { return w.row([]*string{ptr("5"), ptr(`{"a": [1, 2]}`)}) },
		w.commitPoint, // batch 3: committed
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	// A crash here: the last batch was synced, nothing closed the file.
	crashed := filepath.Join(t.TempDir(), "crashed"+undoSuffix)
	data, _ := os.ReadFile(w.path)
	if err := os.WriteFile(crashed, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.row([]*string{ptr("6"), ptr("{}")}); err != nil { // never committed
		t.Fatal(err)
	}
	if err := w.close(3); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(w.path); st.Mode().Perm() != 0o600 {
		t.Errorf("undo file mode %v", st.Mode())
	}
	for _, path := range []string{w.path, crashed} {
		r, err := openUndo(path)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			rows, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				v := "NULL"
				if row[1] != nil {
					v = *row[1]
				}
				got = append(got, *row[0]+"="+v)
			}
		}
		r.Close()
		want := []string{"1=" + odd, "2=NULL", `5={"a": [1, 2]}`}
		if strings.Join(got, "|") != strings.Join(want, "|") || r.Header.Run != h.Run || len(r.Header.Columns) != 2 {
			t.Errorf("%s: read back %q, want %q", filepath.Base(path), got, want)
		}
	}
}

func TestUndoFileRefusesValuesItCannotKeepExactly(t *testing.T) {
	w, err := createUndo(t.TempDir(), undoHeader{Run: "cleanup-20261128T033000Z"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.abandon()
	if err := w.row([]*string{ptr("\xff\xfe")}); err == nil {
		t.Fatal("invalid UTF-8 accepted")
	}
}
