package jobs

import (
	"time"

	"github.com/pgkeeper/pgkeeper/remote"
)

// Off-site copies (#13): after a backup is verified here, it is copied to
// each remote (an S3 bucket and prefix), encrypted to BACKUP_AGE_RECIPIENTS
// when set, checked there, and kept there by the remote's own retention.
//
// Layout under a remote's prefix, flat, one backup = up to three objects:
//
//	<name>.dump.zst[.age]         the dump, as here, or its age ciphertext
//	<name>.globals.sql.zst[.age]  the roles, when they were dumped
//	<name>.manifest.json          written last: it makes the copy a backup
//
// The remote manifest is the local one with Remotes holding exactly that
// remote's copy. It is plaintext, so a copy can be listed and verified
// without the key: names, times, sizes, checksums, table names and row
// counts are readable there; the data is not.

// ageSuffix marks an object encrypted with age.
const ageSuffix = ".age"

// RemoteSpec is one remote as configured: where it is, how long copies are
// kept there, and the age identity file (if any) that restore tests of its
// encrypted copies use.
type RemoteSpec struct {
	Name     string
	Config   remote.Config
	Keep     Retention
	Identity string // path to an age identity file, 0600; "" for none
}

// RemoteCopy is one backup's copy on one remote, as recorded in the
// manifest (locally, one per remote; remotely, its own).
type RemoteCopy struct {
	Remote     string    `json:"remote"`
	Key        string    `json:"key"`                   // the dump's object key, relative to the prefix
	GlobalsKey string    `json:"globals_key,omitempty"` // the roles' object key, when there is one
	Encrypted  bool      `json:"encrypted"`
	Size       int64     `json:"size"`   // the dump object's bytes (ciphertext when encrypted)
	SHA256     string    `json:"sha256"` // of the dump object's bytes
	Verified   bool      `json:"verified"`
	VerifiedBy string    `json:"verified_by,omitempty"` // "read back" or "store checksum"
	At         time.Time `json:"at"`
	Error      string    `json:"error,omitempty"` // why the copy failed, for people

	// GlobalsSize and GlobalsSHA256 are the roles object's, as Size and
	// SHA256 are the dump's, so `backups --verify` checks it too; absent
	// from copies made before they were recorded.
	GlobalsSize   int64  `json:"globals_size,omitempty"`
	GlobalsSHA256 string `json:"globals_sha256,omitempty"`
}

// RemoteOutcome is what one backup run did on one remote.
type RemoteOutcome struct {
	Remote   string
	Copy     *RemoteCopy   // this run's backup; nil when it was not attempted
	Filled   []string      // older backups the remote lacked, copied in this run
	Missing  int           // verified backups the remote still lacks after this run
	Deleted  []string      // backups retention removed there
	Kept     []Verdict     // retention's verdicts there
	Note     string        // e.g. "retention left to the bucket's lifecycle rules: ..."
	Aborted  int           // stale multipart uploads aborted at the start
	Bytes    int64         // bytes sent in this run
	Duration time.Duration // time spent on this remote
	Error    string        // the failure, one line with its fix; "" when all went well
}

// OK reports whether the remote holds this run's backup, verified.
func (o RemoteOutcome) OK() bool { return o.Error == "" }

// RemoteFailed reports whether any remote failed in this run. The local
// backup stays verified and kept; the run still exits 1 and alerts.
func (r BackupReport) RemoteFailed() bool {
	for _, o := range r.Remotes {
		if !o.OK() {
			return true
		}
	}
	return false
}

// CopyOn returns m's recorded copy on the named remote.
func (m Manifest) CopyOn(remoteName string) (RemoteCopy, bool) {
	for _, c := range m.Remotes {
		if c.Remote == remoteName {
			return c, true
		}
	}
	return RemoteCopy{}, false
}

func dumpKey(m Manifest, encrypted bool) string {
	if encrypted {
		return m.DumpFile() + ageSuffix
	}
	return m.DumpFile()
}

func manifestKey(name string) string { return name + manifestSuffix }
