// Package remote keeps objects in one S3-compatible bucket under one prefix:
// streamed multipart uploads that never leave a partial object, streamed
// reads, listing, deletion, and a probe for `pgkeeper check`. It alone
// imports the S3 SDK (aws-sdk-go-v2; why: bench/remote/README.md).
package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/redact"
)

// Addressing is how a request names the bucket.
type Addressing string

const (
	// AddressingAuto is path-style when the endpoint's host is an IP address
	// or localhost, virtual-hosted otherwise.
	AddressingAuto Addressing = ""
	// AddressingPath puts the bucket in the path: https://host/bucket/key.
	AddressingPath Addressing = "path"
	// AddressingVirtual puts it in the host name: https://bucket.host/key.
	AddressingVirtual Addressing = "virtual"
)

// Checksums is when requests carry the SDK's checksums (CRC32 by default).
type Checksums string

const (
	// ChecksumsWhenRequired sends them only where the operation demands
	// one: what every S3-compatible store accepts. The content is checked
	// end to end by its sha256 anyway.
	ChecksumsWhenRequired Checksums = "when-required"
	// ChecksumsWhenSupported sends them on every upload (the SDK's own
	// default since early 2025), which R2, B2 and older MinIO or Ceph reject.
	ChecksumsWhenSupported Checksums = "when-supported"
)

// Defaults and bounds.
const (
	// DefaultPartSize bounds an upload's memory (one part buffer) and, with
	// S3's 10,000 parts, its size: 16 MiB parts carry up to 156 GiB.
	DefaultPartSize = 16 << 20
	// MinPartSize and MaxPartSize are S3's limits for every part but the last.
	MinPartSize = 5 << 20
	MaxPartSize = 5 << 30
	// MaxParts is S3's limit of parts in one upload.
	MaxParts = 10000
	// DefaultAttempts is how often a transient failure is tried in all.
	DefaultAttempts = 4
	// DefaultSilence bounds the wait for an answer: S3 answers a part
	// within seconds of receiving it, so two minutes is a store gone silent.
	DefaultSilence = 2 * time.Minute
	// DefaultRegion is for stores that ignore the region but sign with one.
	DefaultRegion = "us-east-1"
)

// DefaultBackoff spaces the retries of transient failures.
var DefaultBackoff = backoff.Backoff{Min: 500 * time.Millisecond, Max: 8 * time.Second, Jitter: 0.3}

// Config is one remote: a bucket and a prefix on one endpoint.
type Config struct {
	Name     string // for messages: "msk"
	Bucket   string
	Prefix   string // every key is under it; "" for the whole bucket
	Endpoint string // https://host[:port]; "" for AWS in Region
	Region   string // "" for DefaultRegion, unless a profile names one

	Addressing Addressing
	Checksums  Checksums // "" is ChecksumsWhenRequired

	// AccessKeyID and SecretAccessKey (and SessionToken) sign requests.
	// Left empty, the SDK's usual chain finds them: AWS_* variables, then
	// the shared credentials and config files, for Profile when it is set
	// (never the EC2 metadata service).
	AccessKeyID, SecretAccessKey, SessionToken string
	Profile                                    string

	PartSize int64           // 0 for DefaultPartSize; MinPartSize to MaxPartSize
	Attempts int             // 0 for DefaultAttempts
	Backoff  backoff.Backoff // zero for DefaultBackoff

	// CABundle is a PEM file of certificates to trust besides the system's
	// (a MinIO or Ceph with its own CA); "" for the system's alone.
	CABundle   string
	HTTPClient *http.Client // nil for the SDK's (with CABundle, if set)
	// Silence is how long a request may wait for the store's first byte of
	// an answer once it was sent; 0 for DefaultSilence.
	Silence time.Duration
	Now     func() time.Time // nil for time.Now
}

// Bucket is one remote's bucket and prefix. It is safe for concurrent use.
type Bucket struct {
	name, bucket, prefix string
	partSize             int64
	attempts             int
	backoff              backoff.Backoff
	now                  func() time.Time
	secrets              *redact.Redactor
	client               *s3.Client
}

// New checks cfg and builds its client; it sends no request (Probe does).
func New(ctx context.Context, cfg Config) (*Bucket, error) {
	prefix, err := checkConfig(&cfg)
	if err != nil {
		return nil, fmt.Errorf("remote %s: %w", cfg.Name, err)
	}
	b := &Bucket{
		name: cfg.Name, bucket: cfg.Bucket, prefix: prefix, partSize: cfg.PartSize,
		attempts: cfg.Attempts, backoff: cfg.Backoff, now: cfg.Now,
		secrets: redact.New(cfg.SecretAccessKey, cfg.SessionToken),
	}
	httpClient, err := clientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("remote %s: %w", cfg.Name, err)
	}
	awsCfg := aws.Config{Region: cfg.Region}
	if cfg.AccessKeyID == "" && cfg.SecretAccessKey == "" {
		opts := []func(*awsconfig.LoadOptions) error{
			awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled),
			awsconfig.WithDefaultRegion(DefaultRegion),
		}
		if cfg.Profile != "" {
			opts = append(opts, awsconfig.WithSharedConfigProfile(cfg.Profile))
		}
		if cfg.Region != "" {
			opts = append(opts, awsconfig.WithRegion(cfg.Region))
		}
		if awsCfg, err = awsconfig.LoadDefaultConfig(ctx, opts...); err != nil {
			return nil, fmt.Errorf("remote %s: credentials: %w", cfg.Name, b.secrets.Error(err))
		}
	} else {
		awsCfg.Credentials = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = DefaultRegion
	}
	https := true
	b.client = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			https = strings.HasPrefix(cfg.Endpoint, "https://")
		}
		o.UsePathStyle = pathStyle(cfg.Addressing, cfg.Endpoint)
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		if cfg.Checksums == ChecksumsWhenSupported {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
		}
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.Retryer = aws.NopRetryer{} // one retry policy, ours: see retry
		if httpClient != nil {
			o.HTTPClient = httpClient
		}
		if https {
			// TLS already guards the bytes in transit and the content's
			// sha256 is checked end to end: signing each part's sha256
			// would read every part once more (bench/remote).
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		}
	})
	return b, nil
}

// checkConfig fills in defaults and names every problem at once; it
// returns the prefix without its trailing slash.
func checkConfig(cfg *Config) (string, error) {
	var errs []error
	if cfg.Bucket == "" {
		errs = append(errs, errors.New("no bucket"))
	}
	prefix := strings.TrimSuffix(cfg.Prefix, "/")
	if prefix != "" {
		if err := checkKey(prefix); err != nil {
			errs = append(errs, fmt.Errorf("prefix %q: %w", cfg.Prefix, err))
		}
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			errs = append(errs, fmt.Errorf("endpoint %q: want http(s)://host[:port]", redact.New().String(cfg.Endpoint)))
		case u.User != nil:
			errs = append(errs, errors.New("endpoint: credentials do not belong in the URL"))
		}
	}
	switch cfg.Addressing {
	case AddressingAuto, AddressingPath, AddressingVirtual:
	default:
		errs = append(errs, fmt.Errorf("addressing %q: want path or virtual", cfg.Addressing))
	}
	switch cfg.Checksums {
	case "":
		cfg.Checksums = ChecksumsWhenRequired
	case ChecksumsWhenRequired, ChecksumsWhenSupported:
	default:
		errs = append(errs, fmt.Errorf("checksums %q: want %s or %s", cfg.Checksums, ChecksumsWhenRequired, ChecksumsWhenSupported))
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		errs = append(errs, errors.New("an access key needs its secret key, and a secret key its access key"))
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	} else if cfg.PartSize < MinPartSize || cfg.PartSize > MaxPartSize {
		errs = append(errs, fmt.Errorf("part size %d: want %d to %d bytes", cfg.PartSize, MinPartSize, MaxPartSize))
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.Backoff == (backoff.Backoff{}) {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return prefix, errors.Join(errs...)
}

// pathStyle: S3-compatible stores on an IP address or localhost have no
// per-bucket host names, so they need the bucket in the path.
func pathStyle(a Addressing, endpoint string) bool {
	switch a {
	case AddressingPath:
		return true
	case AddressingVirtual:
		return false
	}
	u, err := url.Parse(endpoint)
	if endpoint == "" || err != nil {
		return false
	}
	host := u.Hostname()
	return net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// String names the remote for logs: s3://bucket/prefix, never credentials.
func (b *Bucket) String() string {
	return "s3://" + b.bucket + "/" + b.prefix
}

// String shows cfg for logs with its secret key and session token masked.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return redact.Mask
	}
	return fmt.Sprintf("remote %s: s3://%s/%s endpoint=%q region=%q addressing=%q checksums=%q access_key=%q secret=%q "+
		"session_token=%q profile=%q part_size=%d ca_bundle=%q",
		c.Name, c.Bucket, c.Prefix, redact.New().String(c.Endpoint), c.Region, c.Addressing, c.Checksums, c.AccessKeyID,
		mask(c.SecretAccessKey), mask(c.SessionToken), c.Profile, c.PartSize, c.CABundle)
}
