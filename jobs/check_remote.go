package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/seal"
	"github.com/pgkeeper/pgkeeper/remote"
)

// remoteCheckTimeout bounds one remote's check: a store that does not
// answer is reported, not waited for (a Bucket retries transient failures).
const remoteCheckTimeout = time.Minute

// CheckRemotes tests each remote the way a backup uses it (write, read back,
// list, delete a probe object), each failure with its fix, then the age
// recipients and each remote's identity file.
func CheckRemotes(ctx context.Context, remotes []RemoteSpec, recipients []string) []CheckResult {
	var out []CheckResult
	for _, r := range remotes {
		out = append(out, CheckRemote(ctx, r))
	}
	if len(recipients) > 0 {
		out = append(out, checkRecipients(recipients, len(remotes)))
	}
	for _, r := range remotes {
		if r.Identity != "" {
			out = append(out, checkIdentity(r, recipients))
		}
	}
	return out
}

// CheckRemote is one remote's line of `pgkeeper check`.
func CheckRemote(ctx context.Context, spec RemoteSpec) CheckResult {
	ctx, cancel := context.WithTimeout(ctx, remoteCheckTimeout)
	defer cancel()
	res := CheckResult{Name: "remote " + spec.Name}
	where := spec.Config.Bucket
	if spec.Config.Prefix != "" {
		where += "/" + strings.TrimSuffix(spec.Config.Prefix, "/")
	}
	where = "s3://" + where + " at " + endpointName(spec)
	b, err := remote.New(ctx, spec.Config)
	if err != nil {
		res.Detail = oneLine(err.Error()) + ": " + credentialsFix(spec)
		return res
	}
	err = b.Probe(ctx)
	var pe *remote.ProbeError
	noDelete := errors.As(err, &pe) && pe.Step == "delete" && errors.Is(err, remote.ErrDenied)
	if err != nil && !noDelete {
		step := "probe"
		if pe != nil {
			step, err = pe.Step, pe.Err
		}
		res.Detail = fmt.Sprintf("%s: %s failed: %s. %s", where, step, oneLine(err.Error()), remoteFix(spec, step, err))
		return res
	}
	// What retention and the next run's gap filling need besides: listing
	// the copies, and the incomplete uploads (none is old enough to abort).
	if _, err := b.List(ctx, ".pgkeeper-probe-"); err != nil {
		res.Detail = fmt.Sprintf("%s: list failed: %s. %s", where, oneLine(err.Error()), remoteFix(spec, "list", err))
		return res
	}
	// gofakes3 (and maybe other stores) answers NoSuchUpload for a bucket
	// that never had an upload, where S3 lists none.
	if _, err := b.AbortStale(ctx, 100*365*24*time.Hour, nil); err != nil && !errors.Is(err, remote.ErrNotFound) {
		res.Detail = fmt.Sprintf("%s: list uploads failed: %s. %s", where, oneLine(err.Error()), remoteFix(spec, "list uploads", err))
		return res
	}
	res.OK = true
	if noDelete {
		res.Warn = true
		var re *remote.Error
		key := "the probe object"
		if errors.As(err, &re) && re.Key != "" {
			key = re.Key
		}
		res.Detail = fmt.Sprintf("%s: writes, reads back and lists, but may not delete (%s): retention there is left "+
			"to the bucket's lifecycle rules, and %s stays there. Fine for write-only keys or Object Lock; otherwise %s",
			where, oneLine(pe.Err.Error()), key, grantFix(spec))
		return res
	}
	res.Detail = where + ": wrote, read back, listed and deleted a probe object"
	return res
}

// endpointName is where the remote's requests go, for people.
func endpointName(spec RemoteSpec) string {
	if spec.Config.Endpoint != "" {
		return spec.Config.Endpoint
	}
	region := spec.Config.Region
	if region == "" {
		region = "the profile's region, else " + remote.DefaultRegion
	}
	return "AWS (" + region + ")"
}

// remoteFix is what to do about a failed step, by its kind.
func remoteFix(spec RemoteSpec, step string, err error) string {
	v := func(setting string) string { return config.RemoteVar(spec.Name, setting) }
	switch {
	case errors.Is(err, remote.ErrCredentials):
		return "Fix: " + credentialsFix(spec)
	case errors.Is(err, remote.ErrNoBucket):
		return fmt.Sprintf("Fix: create bucket %s there, or correct it in BACKUP_REMOTES (%s=s3://BUCKET/prefix); "+
			"if it is in another region or store, set %s or %s", spec.Config.Bucket, spec.Name, v("REGION"), v("ENDPOINT"))
	case errors.Is(err, remote.ErrDenied):
		return "Fix: " + grantFix(spec) + "; or the keys are wrong: " + credentialsFix(spec)
	case errors.Is(err, remote.ErrClockSkew):
		return "Fix: set this machine's clock right and keep it so (timedatectl set-ntp true, or chrony)"
	case step == "compare":
		return fmt.Sprintf("Fix: make sure %s is an S3 API and nothing between rewrites the bodies; try %s=path",
			endpointName(spec), v("ADDRESSING"))
	case strings.Contains(err.Error(), "TLS:"):
		return fmt.Sprintf("Fix: for a store with its own CA, set %s to a PEM file of its certificate; check %s (now %s)",
			v("CA_BUNDLE"), v("ENDPOINT"), endpointName(spec))
	}
	return fmt.Sprintf("Fix: unreachable: check %s (now %s), DNS, the firewall and the network", v("ENDPOINT"), endpointName(spec))
}

// grantFix names the permissions a backup needs on the remote's prefix.
func grantFix(spec RemoteSpec) string {
	prefix := strings.TrimSuffix(spec.Config.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return fmt.Sprintf("grant these keys s3:PutObject, s3:GetObject, s3:DeleteObject, s3:AbortMultipartUpload on "+
		"arn:aws:s3:::%s/%s* and s3:ListBucket, s3:ListBucketMultipartUploads on arn:aws:s3:::%s (prefix %q)",
		spec.Config.Bucket, prefix, spec.Config.Bucket, prefix)
}

// credentialsFix says which variables the remote's credentials came from.
// The access key id is no secret: it names the key to look at.
func credentialsFix(spec RemoteSpec) string {
	v := func(setting string) string { return config.RemoteVar(spec.Name, setting) }
	c := spec.Config
	switch {
	case c.AccessKeyID != "":
		s := fmt.Sprintf("check the access key %s and its secret key: %s and %s, or AWS_ACCESS_KEY_ID and "+
			"AWS_SECRET_ACCESS_KEY when those are unset", c.AccessKeyID, v("ACCESS_KEY_ID"), v("SECRET_ACCESS_KEY"))
		if c.SessionToken != "" {
			s += fmt.Sprintf("; temporary keys also need a current %s (or AWS_SESSION_TOKEN)", v("SESSION_TOKEN"))
		}
		return s
	case c.Profile != "":
		return fmt.Sprintf("check profile %s in ~/.aws/credentials and ~/.aws/config (from %s or AWS_PROFILE)", c.Profile, v("PROFILE"))
	}
	return fmt.Sprintf("no keys are set for it: set %s and %s, or %s, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
		v("ACCESS_KEY_ID"), v("SECRET_ACCESS_KEY"), v("PROFILE"))
}

// checkRecipients is the line on BACKUP_AGE_RECIPIENTS. The keys are public,
// but a pasted private key must not be echoed: seal names entries by position.
func checkRecipients(keys []string, remotes int) CheckResult {
	res := CheckResult{Name: "encryption"}
	rs, err := seal.Recipients(keys)
	if err != nil {
		res.Detail = "BACKUP_AGE_RECIPIENTS: " + err.Error()
		return res
	}
	res.OK = true
	res.Detail = fmt.Sprintf("copies leave this machine encrypted to %d public key(s) of BACKUP_AGE_RECIPIENTS", len(rs))
	if remotes == 0 {
		res.Warn = true
		res.Detail = "BACKUP_AGE_RECIPIENTS is set, but BACKUP_REMOTES is empty: no copy leaves through pgkeeper, nothing is encrypted"
	}
	return res
}

// checkIdentity proves that the remote's identity file opens what a backup
// encrypts: a small message is encrypted to each recipient in turn and
// decrypted with the identity.
func checkIdentity(spec RemoteSpec, keys []string) CheckResult {
	res := CheckResult{Name: "identity " + spec.Name}
	v := config.RemoteVar(spec.Name, "IDENTITY")
	ids, err := seal.LoadIdentities(spec.Identity)
	if err != nil {
		res.Detail = v + ": " + err.Error()
		return res
	}
	if len(keys) == 0 {
		res.OK = true
		res.Detail = spec.Identity + " opens; BACKUP_AGE_RECIPIENTS is empty, so new copies leave unencrypted " +
			"(it serves restore tests of older encrypted ones)"
		return res
	}
	rs, err := seal.Recipients(keys)
	if err != nil {
		res.Detail = "BACKUP_AGE_RECIPIENTS: " + err.Error()
		return res
	}
	want := []byte("pgkeeper check: does this identity open the copies?")
	for i := range rs {
		var sealed bytes.Buffer
		w, err := seal.Encrypt(&sealed, rs[i:i+1])
		if err == nil {
			_, err = w.Write(want)
		}
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			res.Detail = fmt.Sprintf("encrypt to recipient %d: %v", i+1, err)
			return res
		}
		plain, err := seal.Decrypt(&sealed, ids)
		if err != nil {
			continue
		}
		if got, err := io.ReadAll(plain); err == nil && bytes.Equal(got, want) {
			res.OK = true
			res.Detail = fmt.Sprintf("%s opens copies encrypted to recipient %d of %d of BACKUP_AGE_RECIPIENTS: restore tests of %s's copies can run",
				spec.Identity, i+1, len(rs), spec.Name)
			return res
		}
	}
	res.Detail = fmt.Sprintf("%s holds none of the keys BACKUP_AGE_RECIPIENTS encrypts to: restore tests of %s's copies would fail. "+
		"Fix: put its public key (age-keygen -y %s; ssh-keygen -y -f for an SSH key) in BACKUP_AGE_RECIPIENTS, "+
		"or point %s at the right file", spec.Identity, spec.Name, spec.Identity, v)
	return res
}
