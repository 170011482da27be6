package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pgkeeper/pgkeeper/internal/seal"
)

// Remotes (#13): BACKUP_REMOTES names the S3 buckets that receive a copy of
// every verified backup. Each remote's own settings are variables carrying
// its upper-cased name, BACKUP_REMOTE_<NAME>_<SETTING>, and fall back on the
// AWS_* variables people already use.

// Keep is how many copies of each tier (grandfather-father-son) retention keeps.
type Keep struct{ Hourly, Daily, Weekly, Monthly int }

// String is the compact form BACKUP_REMOTE_<NAME>_KEEP takes, zero tiers left out.
func (k Keep) String() string {
	var parts []string
	for _, t := range []struct {
		name string
		n    int
	}{{"hourly", k.Hourly}, {"daily", k.Daily}, {"weekly", k.Weekly}, {"monthly", k.Monthly}} {
		if t.n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", t.name, t.n))
		}
	}
	return strings.Join(parts, ",")
}

// Remote is one bucket and prefix that receives copies, with how to reach it.
type Remote struct {
	Name     string // lower-case letters, digits and _; "remote" for a bare URL
	Bucket   string
	Prefix   string // without a trailing slash; "" for the whole bucket
	Endpoint string // http(s)://host[:port]; "" for AWS in Region
	Region   string // "" for the SDK's default
	Profile  string // a shared config/credentials profile; "" when keys are set

	AccessKeyID     string
	SecretAccessKey string // secret
	SessionToken    string // secret

	Addressing string // auto, path or virtual
	Checksums  string // when-required or when-supported
	Keep       Keep
	Identity   string // age identity file (0600) for restore tests of encrypted copies; "" for none
	CABundle   string // PEM certificates to trust besides the system's; "" for none
}

// URL is where the remote is, as BACKUP_REMOTES says it.
func (r Remote) URL() string {
	if r.Prefix == "" {
		return "s3://" + r.Bucket
	}
	return "s3://" + r.Bucket + "/" + r.Prefix
}

// String shows the remote for logs, its secret key and session token masked.
func (r Remote) String() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	return fmt.Sprintf("remote %s: %s endpoint=%q region=%q profile=%q access_key=%q secret=%q session_token=%q "+
		"addressing=%s checksums=%s keep=%s identity=%q ca_bundle=%q",
		r.Name, r.URL(), r.Endpoint, r.Region, r.Profile, r.AccessKeyID, mask(r.SecretAccessKey), mask(r.SessionToken),
		r.Addressing, r.Checksums, r.Keep, r.Identity, r.CABundle)
}

// GoString masks the secrets in %#v too.
func (r Remote) GoString() string { return r.String() }

// RemoteVar is the variable of remote name's setting:
// RemoteVar("msk", "REGION") is BACKUP_REMOTE_MSK_REGION.
func RemoteVar(name, setting string) string {
	return "BACKUP_REMOTE_" + strings.ToUpper(name) + "_" + setting
}

// RemoteSettings are the settings each remote may have, as the last part of
// its variables' names.
var RemoteSettings = []string{"ENDPOINT", "REGION", "PROFILE", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SESSION_TOKEN",
	"ADDRESSING", "CHECKSUMS", "KEEP", "IDENTITY", "CA_BUNDLE"}

// secretRemoteSettings are the settings that hold a secret.
var secretRemoteSettings = []string{"SECRET_ACCESS_KEY", "SESSION_TOKEN"}

var (
	remoteNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	bucketRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$`)
	regionRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	profileRe    = regexp.MustCompile(`^[A-Za-z0-9_.@+/-]{1,128}$`)
)

// awsDefaults are the AWS_* variables a remote falls back on, each checked once.
type awsDefaults struct {
	endpoint, region, profile, caBundle string
	keyID, secret, token                string
}

func (r *reader) awsDefaults() awsDefaults {
	d := awsDefaults{
		endpoint: r.endpoint("AWS_ENDPOINT_URL"),
		region:   r.region("AWS_REGION"),
		profile:  r.profile("AWS_PROFILE"),
		caBundle: r.caBundle("AWS_CA_BUNDLE"),
		keyID:    r.get("AWS_ACCESS_KEY_ID", ""),
		secret:   r.get("AWS_SECRET_ACCESS_KEY", ""),
		token:    r.get("AWS_SESSION_TOKEN", ""),
	}
	switch {
	case d.keyID != "" && d.secret == "":
		r.bad("AWS_SECRET_ACCESS_KEY", "required with AWS_ACCESS_KEY_ID: an access key needs its secret key")
	case d.keyID == "" && d.secret != "":
		r.bad("AWS_ACCESS_KEY_ID", "required with AWS_SECRET_ACCESS_KEY: a secret key needs its access key")
	}
	return d
}

// remotes reads BACKUP_REMOTES and each remote's settings.
func (r *reader) remotes(name string) []Remote {
	keep := r.keep("BACKUP_REMOTE_KEEP", DefaultRemoteKeep)
	v := r.get(name, "")
	if v == "" {
		return nil
	}
	aws := r.awsDefaults()
	var out []Remote
	named := map[string]bool{}
	where := map[string]string{} // endpoint + URL → the remote there
	for i, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		rm, ok := r.remoteEntry(name, i+1, entry)
		if !ok {
			continue
		}
		if named[rm.Name] {
			r.bad(name, "remote %s is named twice: give each remote its own name (NAME=s3://bucket/prefix)", rm.Name)
			continue
		}
		named[rm.Name] = true
		r.remoteSettings(&rm, aws, keep)
		place := rm.Endpoint + " " + rm.URL()
		if other, dup := where[place]; dup {
			r.bad(name, "remotes %s and %s are the same bucket and prefix: their retention would delete each other's copies", other, rm.Name)
			continue
		}
		where[place] = rm.Name
		out = append(out, rm)
	}
	return out
}

// remoteEntry parses entry n, NAME=s3://bucket/prefix or s3://bucket/prefix.
func (r *reader) remoteEntry(v string, n int, entry string) (Remote, bool) {
	if strings.Contains(entry, "@") {
		// Never echoed: it may be s3://KEY:SECRET@bucket.
		r.bad(v, "entry %d: credentials do not belong in a URL: set BACKUP_REMOTE_<NAME>_ACCESS_KEY_ID and _SECRET_ACCESS_KEY", n)
		return Remote{}, false
	}
	name, loc := DefaultRemoteName, entry
	if before, after, ok := strings.Cut(entry, "="); ok {
		name, loc = strings.TrimSpace(before), strings.TrimSpace(after)
	}
	// Its variables are not strays too, even when the entry is bad: one
	// problem, the entry's, is the one to fix.
	r.seenNames[strings.ToLower(name)] = true
	ok := true
	switch {
	case len(name) > maxRemoteName || !remoteNameRe.MatchString(name):
		r.bad(v, "entry %d: %q is not a remote name (a lower-case letter, then lower-case letters, digits or _, at most %d)", n, name, maxRemoteName)
		ok = false
	case name == "local":
		r.bad(v, "entry %d: local names BACKUP_DIR's copies: call the remote something else", n)
		ok = false
	}
	rest, found := strings.CutPrefix(loc, "s3://")
	if !found {
		r.bad(v, "entry %d: %q is not s3://bucket/prefix", n, loc)
		return Remote{}, false
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.TrimRight(prefix, "/")
	if !bucketRe.MatchString(bucket) {
		r.bad(v, "entry %d: %q is not a bucket name (3 to 63 letters, digits, '.', '-' or '_')", n, bucket)
		ok = false
	}
	if prefix != "" {
		if err := checkPrefix(prefix); err != nil {
			r.bad(v, "entry %d: prefix %q: %v", n, prefix, err)
			ok = false
		}
	}
	return Remote{Name: name, Bucket: bucket, Prefix: prefix}, ok
}

// checkPrefix refuses what remote would refuse as a key: a prefix that
// stores and tools could read differently, or one that climbs out.
func checkPrefix(p string) error {
	if !utf8.ValidString(p) || strings.IndexFunc(p, unicode.IsControl) >= 0 {
		return fmt.Errorf("not printable UTF-8")
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf(`empty segment (leading or doubled "/")`)
		case ".", "..":
			return fmt.Errorf(`%q segment`, seg)
		}
	}
	return nil
}

// remoteSettings reads rm's own variables, falling back on aws and keep.
func (r *reader) remoteSettings(rm *Remote, aws awsDefaults, keep Keep) {
	v := func(setting string) string { return RemoteVar(rm.Name, setting) }
	rm.Endpoint = or(r.endpoint(v("ENDPOINT")), aws.endpoint)
	rm.Region = or(r.region(v("REGION")), aws.region)
	rm.CABundle = or(r.caBundle(v("CA_BUNDLE")), aws.caBundle)
	rm.Addressing = r.oneOf(v("ADDRESSING"), DefaultAddressing, "auto", "path", "virtual")
	rm.Checksums = r.oneOf(v("CHECKSUMS"), DefaultChecksums, "when-required", "when-supported")
	rm.Keep = r.keep(v("KEEP"), keep.String())
	rm.Identity = r.identity(v("IDENTITY"))

	id, secret, token := r.get(v("ACCESS_KEY_ID"), ""), r.get(v("SECRET_ACCESS_KEY"), ""), r.get(v("SESSION_TOKEN"), "")
	profile := r.profile(v("PROFILE"))
	r.secrets = append(r.secrets, secret, token)
	switch {
	case id != "" && secret == "":
		r.bad(v("SECRET_ACCESS_KEY"), "required with %s: an access key needs its secret key", v("ACCESS_KEY_ID"))
	case id == "" && secret != "":
		r.bad(v("ACCESS_KEY_ID"), "required with %s: a secret key needs its access key", v("SECRET_ACCESS_KEY"))
	case id != "" && profile != "":
		r.bad(v("PROFILE"), "set together with %s: choose the keys or the profile", v("ACCESS_KEY_ID"))
	case id != "":
		rm.AccessKeyID, rm.SecretAccessKey, rm.SessionToken = id, secret, token
	case token != "":
		r.bad(v("SESSION_TOKEN"), "a session token needs %s and %s", v("ACCESS_KEY_ID"), v("SECRET_ACCESS_KEY"))
	case profile != "":
		rm.Profile = profile
	case aws.keyID != "" && aws.secret != "":
		rm.AccessKeyID, rm.SecretAccessKey, rm.SessionToken = aws.keyID, aws.secret, aws.token
	default:
		// AWS_PROFILE, or else the shared files' default profile.
		rm.Profile = aws.profile
	}
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// endpoint is an http(s) URL of an S3 API, or "" when unset.
func (r *reader) endpoint(name string) string {
	v := r.get(name, "")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		if err == nil && u.User != nil {
			v = "***"
		}
		r.bad(name, "%q is not an http(s) URL like https://s3.example.com", v)
		return ""
	case u.User != nil:
		r.bad(name, "credentials do not belong in the URL: set the access key and secret key variables")
		return ""
	}
	return strings.TrimRight(v, "/")
}

func (r *reader) region(name string) string {
	v := r.get(name, "")
	if v != "" && !regionRe.MatchString(v) {
		r.bad(name, "%q is not a region name (like us-east-1 or ru-1)", v)
		return ""
	}
	return v
}

func (r *reader) profile(name string) string {
	v := r.get(name, "")
	if v != "" && !profileRe.MatchString(v) {
		r.bad(name, "%q is not a profile name of ~/.aws/config", v)
		return ""
	}
	return v
}

// caBundle is a readable file with at least one PEM certificate, or "".
func (r *reader) caBundle(name string) string {
	v := r.get(name, "")
	if v == "" {
		return ""
	}
	data, err := os.ReadFile(v)
	if err != nil {
		r.bad(name, "%q cannot be read: %v", v, unwrapPath(err))
		return ""
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		r.bad(name, "%q holds no PEM certificate (-----BEGIN CERTIFICATE-----)", v)
		return ""
	}
	return v
}

// identity is an age identity file that opens: 0600, with a key in it.
// The key is read and dropped; only the path is kept.
func (r *reader) identity(name string) string {
	v := r.get(name, "")
	if v == "" {
		return ""
	}
	if _, err := seal.LoadIdentities(v); err != nil {
		r.bad(name, "%v", err)
		return ""
	}
	return v
}

// recipients are age or SSH public keys; a bad one is named by its
// position, never echoed (it may be a private key pasted by mistake).
func (r *reader) recipients(name string) []string {
	keys := r.list(name, "")
	if len(keys) == 0 {
		return nil
	}
	if _, err := seal.Recipients(keys); err != nil {
		r.bad(name, "%v", err)
		return nil
	}
	return keys
}

// strays are per-remote variables of no configured remote, and
// BACKUP_REMOTE_* variables that are no setting: each a typo that would
// otherwise be ignored without a word.
func (r *reader) strays(names []string) {
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		rest, ok := strings.CutPrefix(n, "BACKUP_REMOTE_")
		if !ok || n == "BACKUP_REMOTE_KEEP" || r.get(n, "") == "" {
			continue
		}
		name := ""
		for _, s := range RemoteSettings {
			if before, found := strings.CutSuffix(rest, "_"+s); found && before != "" {
				name = strings.ToLower(before)
				break
			}
		}
		switch {
		case name == "":
			r.bad(n, "not a setting: a remote's variables are BACKUP_REMOTE_<NAME>_ and one of %s", strings.Join(RemoteSettings, ", "))
		case !r.seenNames[name]:
			r.bad(n, "set, but no remote %s in BACKUP_REMOTES", name)
		}
	}
}

// unwrapPath is err without the path the message already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
