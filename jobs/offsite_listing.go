package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/pgkeeper/pgkeeper/remote"
)

// maxManifestBytes bounds a manifest read back from a bucket: it is
// untrusted input, and a real one is a few kilobytes.
const maxManifestBytes = 1 << 20

// RemoteBroken is a backup of this database on a remote that cannot be
// trusted: no manifest, a manifest that does not read or names objects not
// its own, or objects gone or of the wrong size. It is listed, never used
// and never deleted.
type RemoteBroken struct {
	Name   string
	Reason string
	Keys   []string
	Bytes  int64
}

// RemoteListing is what one remote holds for one origin.
type RemoteListing struct {
	Remote string
	// Backups are verified copies, newest first; each one's Remotes holds
	// exactly its copy there.
	Backups []Manifest
	Broken  []RemoteBroken
	Others  int // other databases' or servers' manifests, left alone
}

// remoteOwn matches one database's object keys on a remote: the local file
// names, the dump and roles optionally encrypted (.age). Never a .tmp: an
// upload is invisible until it completes.
type remoteOwn struct{ re *regexp.Regexp }

func remoteOwnOf(db string) remoteOwn {
	return remoteOwn{regexp.MustCompile(`^(` + regexp.QuoteMeta(fileStem(db)) +
		`-\d{8}T\d{6}Z)(\.dump\.zst(?:\.age)?|\.manifest\.json|\.globals\.sql\.zst(?:\.age)?)$`)}
}

func (o remoteOwn) parse(key string) (base, suffix string, ok bool) {
	m := o.re.FindStringSubmatch(key)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ReadRemoteListing lists b's backups of origin o. Every key and manifest
// read back from the bucket is untrusted: a copy counts only when its
// manifest parses, names itself by its own key, comes from o, is verified,
// records one copy whose keys are its own, and those objects exist with the
// recorded size. A listing that fails returns the error and nothing else:
// nothing may be judged, let alone deleted, on half a listing.
func ReadRemoteListing(ctx context.Context, b *remote.Bucket, remoteName string, o Origin) (RemoteListing, error) {
	l := RemoteListing{Remote: remoteName}
	objects, err := b.List(ctx, fileStem(o.Database)+"-")
	if err != nil {
		return RemoteListing{Remote: remoteName}, err
	}
	own := remoteOwnOf(o.Database)
	groups := map[string]map[string]remote.Object{}
	for _, obj := range objects {
		base, suffix, ok := own.parse(obj.Key)
		if !ok {
			continue
		}
		if groups[base] == nil {
			groups[base] = map[string]remote.Object{}
		}
		groups[base][suffix] = obj
	}
	for base, have := range groups {
		m, foreign, reason, err := judgeRemote(ctx, b, base, have, o)
		if err != nil {
			return RemoteListing{Remote: remoteName}, err
		}
		switch {
		case foreign:
			l.Others++
		case reason != "":
			rb := RemoteBroken{Name: base, Reason: reason}
			for suffix, obj := range have {
				rb.Keys = append(rb.Keys, base+suffix)
				rb.Bytes += obj.Size
			}
			sort.Strings(rb.Keys)
			l.Broken = append(l.Broken, rb)
		default:
			l.Backups = append(l.Backups, m)
		}
	}
	sort.Slice(l.Backups, func(i, j int) bool { return l.Backups[i].Start.After(l.Backups[j].Start) })
	sort.Slice(l.Broken, func(i, j int) bool { return l.Broken[i].Name > l.Broken[j].Name })
	return l, nil
}

// judgeRemote is judge for a remote's objects of one base name. err is a
// failure to read the bucket (not the manifest's fault), which fails the
// whole listing.
func judgeRemote(ctx context.Context, b *remote.Bucket, base string, have map[string]remote.Object, o Origin) (
	m Manifest, foreign bool, reason string, err error) {
	if _, ok := have[manifestSuffix]; !ok {
		return m, false, "has no manifest (an upload stopped before recording it, or the manifest was removed)", nil
	}
	m, reason, err = readRemoteManifest(ctx, b, base+manifestSuffix)
	if err != nil || reason != "" {
		return m, false, reason, err
	}
	switch {
	case m.Format < 1 || m.Format > manifestFormat:
		return m, false, fmt.Sprintf("has a manifest of format %d, which this pgkeeper does not know", m.Format), nil
	case m.Name != base:
		return m, false, fmt.Sprintf("has a manifest that names another backup (%q)", m.Name), nil
	case m.Database != o.Database:
		return m, false, fmt.Sprintf("has a manifest made for database %q", m.Database), nil
	case !o.owns(m):
		return m, true, "", nil
	case startReason(base, m.Start) != "":
		return m, false, startReason(base, m.Start), nil
	case !m.Verified:
		return m, false, "has a manifest that does not say verified", nil
	case len(m.Remotes) != 1:
		return m, false, fmt.Sprintf("has a manifest that records %d copies, not its own one", len(m.Remotes)), nil
	}
	c := m.Remotes[0]
	switch {
	case !c.Verified:
		return m, false, "has a manifest whose copy was not verified", nil
	case c.Key != dumpKey(m, c.Encrypted):
		return m, false, fmt.Sprintf("has a manifest that names a dump not its own (%q)", c.Key), nil
	case c.GlobalsKey != "" && c.GlobalsKey != globalsKey(base, c.Encrypted):
		return m, false, fmt.Sprintf("has a manifest that names a roles file not its own (%q)", c.GlobalsKey), nil
	}
	dump, ok := have[strings.TrimPrefix(c.Key, base)]
	switch {
	case !ok:
		return m, false, "has lost its dump " + c.Key, nil
	case dump.Size != c.Size:
		return m, false, fmt.Sprintf("has a dump of %d bytes where its manifest says %d", dump.Size, c.Size), nil
	}
	if c.GlobalsKey != "" {
		roles, ok := have[strings.TrimPrefix(c.GlobalsKey, base)]
		switch {
		case !ok:
			return m, false, "has lost its roles file " + c.GlobalsKey, nil
		case c.GlobalsSize > 0 && roles.Size != c.GlobalsSize:
			return m, false, fmt.Sprintf("has a roles file of %d bytes where its manifest says %d", roles.Size, c.GlobalsSize), nil
		}
	}
	return m, false, "", nil
}

func globalsKey(base string, encrypted bool) string {
	if encrypted {
		return base + globalsSuffix + ageSuffix
	}
	return base + globalsSuffix
}

// readRemoteManifest reads and parses one manifest object. A manifest that
// is too big or does not parse is the manifest's fault (reason); a request
// that fails is the bucket's (err).
func readRemoteManifest(ctx context.Context, b *remote.Bucket, key string) (m Manifest, reason string, err error) {
	body, err := b.Get(ctx, key)
	if err != nil {
		return m, "", err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, maxManifestBytes+1))
	if err != nil {
		return m, "", err
	}
	if len(data) > maxManifestBytes {
		return m, "has a manifest over 1 MiB, which no pgkeeper writes", nil
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, "has a manifest that does not read: " + oneLine(err.Error()), nil
	}
	return m, "", nil
}
