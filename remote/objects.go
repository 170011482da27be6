package remote

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Object is one object under the prefix.
type Object struct {
	Key      string // relative to the prefix
	Size     int64
	Modified time.Time
}

// Get opens key for a streamed read; the caller closes it. Opening is
// retried like any request; a failure while reading is an *Error, not
// retried (the caller's checksum decides what a short read means).
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	full, err := b.full("get", key)
	if err != nil {
		return nil, err
	}
	var body io.ReadCloser
	err = b.do(ctx, "get", key, func(ctx context.Context) error {
		out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.bucket, Key: &full})
		if err == nil {
			body = out.Body
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &reader{ReadCloser: body, b: b, key: key}, nil
}

// reader turns a read failure mid-object into an *Error.
type reader struct {
	io.ReadCloser
	b   *Bucket
	key string
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		kind, reason := classify(err, r.b.now())
		err = r.b.fail("get", r.key, kind, reason)
	}
	return n, err
}

// Head is key's size and time; ErrNotFound when there is none.
func (b *Bucket) Head(ctx context.Context, key string) (Object, error) {
	full, err := b.full("head", key)
	if err != nil {
		return Object{}, err
	}
	var o Object
	err = b.do(ctx, "head", key, func(ctx context.Context) error {
		out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.bucket, Key: &full})
		if err == nil {
			o = Object{Key: key, Size: aws.ToInt64(out.ContentLength), Modified: aws.ToTime(out.LastModified)}
		}
		return err
	})
	return o, err
}

// List is every object whose key starts with prefix (relative; "" for
// all), in key order. Only keys under the configured prefix are seen.
func (b *Bucket) List(ctx context.Context, prefix string) ([]Object, error) {
	full, err := b.fullPrefix("list", prefix)
	if err != nil {
		return nil, err
	}
	if b.prefix != "" && prefix == "" {
		full = b.prefix + "/"
	}
	var objs []Object
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: &b.bucket, Prefix: &full})
	for p.HasMorePages() {
		var page *s3.ListObjectsV2Output
		err := b.do(ctx, "list", prefix, func(ctx context.Context) error {
			var err error
			page, err = p.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			objs = append(objs, Object{Key: b.rel(aws.ToString(o.Key)), Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified)})
		}
	}
	return objs, nil
}

// Delete removes key. Deleting a key that is not there is no error (S3
// says nothing either); ErrDenied says these credentials may not delete.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	full, err := b.full("delete", key)
	if err != nil {
		return err
	}
	return b.do(ctx, "delete", key, func(ctx context.Context) error {
		_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.bucket, Key: &full})
		return err
	})
}

// AbortStale aborts the incomplete multipart uploads under the prefix
// started more than olderThan ago (uploads a crash or a failed abort left:
// their parts are billed and invisible) whose key, relative to the prefix,
// ours accepts (nil: every key): another writer's long upload under a
// shared prefix is not ours to end. It returns how many it aborted.
func (b *Bucket) AbortStale(ctx context.Context, olderThan time.Duration, ours func(key string) bool) (int, error) {
	prefix := ""
	if b.prefix != "" {
		prefix = b.prefix + "/"
	}
	cutoff := b.now().Add(-olderThan)
	aborted := 0
	p := s3.NewListMultipartUploadsPaginator(b.client, &s3.ListMultipartUploadsInput{Bucket: &b.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		var page *s3.ListMultipartUploadsOutput
		err := b.do(ctx, "list uploads", "", func(ctx context.Context) error {
			var err error
			page, err = p.NextPage(ctx)
			return err
		})
		if errors.Is(err, ErrNotFound) {
			// gofakes3 answers NoSuchUpload for a bucket that never had
			// one; S3 itself answers an empty list.
			return aborted, nil
		}
		if err != nil {
			return aborted, err
		}
		for _, u := range page.Uploads {
			if u.Initiated == nil || !u.Initiated.Before(cutoff) {
				continue
			}
			full := aws.ToString(u.Key)
			if ours != nil && !ours(b.rel(full)) {
				continue
			}
			if err := b.abort(ctx, b.rel(full), full, u.UploadId); err != nil {
				return aborted, err
			}
			aborted++
		}
	}
	return aborted, nil
}
