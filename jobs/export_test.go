package jobs

import "time"

// SetUploadProgressEvery makes uploads report progress at every read, so a
// test can act between two parts; the returned func restores the default.
func SetUploadProgressEvery(d time.Duration) (restore func()) {
	old := uploadProgressEvery
	uploadProgressEvery = d
	return func() { uploadProgressEvery = old }
}
