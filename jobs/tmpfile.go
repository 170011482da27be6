package jobs

import (
	"os"
	"syscall"
)

// createTemp creates a new temporary file holding an exclusive flock for as
// long as it is open. The lock is what tells a live run's .tmp from a dead
// run's: the kernel drops it when the process dies, kill -9 included, and
// another pgkeeper (another database, another server) sharing BACKUP_DIR
// sweeps only what nobody holds.
func createTemp(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_TRUNC|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// removeIfUnheld deletes a temporary file that no live run holds, and
// reports whether it did. The lock is taken before the removal, so a run
// cannot take the file over in between.
func removeIfUnheld(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false // held: a live run's file
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return false
	}
	return os.Remove(path) == nil
}
