package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"time"
)

// followPoll is how often a follower that caught up with the writer looks
// for more: the dump grows by about a megabyte (one buffer flush) at a time.
const followPoll = 20 * time.Millisecond

// follower reads a file while the dump still writes it, so that an upload
// runs alongside the dump rather than after it. Its end is held back for
// the backup's verdict: EOF comes only once finish says the file is whole
// and verified, and every byte read hashes to the verified sha256. Any
// other end is an error, on which remote.Put aborts its multipart upload:
// no object becomes visible before the backup it holds is verified.
type follower struct {
	ctx  context.Context
	f    *os.File
	off  int64
	hash hash.Hash

	once    sync.Once
	done    chan struct{}
	size    int64
	sha256  string
	verdict error
}

// follow opens path, the dump being written, for reading alongside.
func follow(ctx context.Context, path string) (*follower, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the dump for upload: %w", err)
	}
	return &follower{ctx: ctx, f: f, hash: sha256.New(), done: make(chan struct{})}, nil
}

// finish gives the verdict: the verified file's size and sha256, or why
// there is no backup to send. Only the first call counts.
func (fl *follower) finish(size int64, sha string, verdict error) {
	fl.once.Do(func() {
		fl.size, fl.sha256, fl.verdict = size, sha, verdict
		close(fl.done)
	})
}

func (fl *follower) Read(p []byte) (int, error) {
	for {
		finished := false
		select {
		case <-fl.done:
			finished = true
			if fl.verdict != nil {
				return 0, fl.verdict
			}
			if fl.off >= fl.size {
				return 0, fl.end()
			}
			if rest := fl.size - fl.off; int64(len(p)) > rest {
				p = p[:rest]
			}
		default:
		}
		n, err := fl.f.ReadAt(p, fl.off)
		if n > 0 {
			fl.off += int64(n)
			fl.hash.Write(p[:n])
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("read the dump for upload: %w", err)
		}
		if finished {
			return 0, fmt.Errorf("the dump is %d bytes, its manifest says %d", fl.off, fl.size)
		}
		select {
		case <-fl.done:
		case <-fl.ctx.Done():
			return 0, fl.ctx.Err()
		case <-time.After(followPoll):
		}
	}
}

// end is the EOF of a whole, verified file, or the error of one that is not
// the file verified.
func (fl *follower) end() error {
	if got := hex.EncodeToString(fl.hash.Sum(nil)); got != fl.sha256 {
		return fmt.Errorf("the dump read for upload has sha256 %s, the verified one %s", got, fl.sha256)
	}
	return io.EOF
}

func (fl *follower) Close() error { return fl.f.Close() }
