package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Sent is what Put sent: its size and the sha256 (hex) of its bytes.
type Sent struct {
	Size   int64
	SHA256 string
}

// abortTimeout bounds the abort of a failed upload, which runs even when
// the upload's context was cancelled.
const abortTimeout = 30 * time.Second

// Put streams r to key, reading it once, whatever its length: memory is one
// part buffer. Up to one part is a single PUT; more is a multipart upload
// that is aborted on any failure, the reader's and a cancel included, so no
// partial object is ever visible under key. An abort that fails too is in
// the error; AbortStale removes what it left.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader) (Sent, error) {
	full, err := b.full("put", key)
	if err != nil {
		return Sent{}, err
	}
	h := sha256.New()
	buf := make([]byte, b.partSize)
	n, rerr := io.ReadFull(r, buf)
	h.Write(buf[:n])
	if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
		return Sent{}, b.fail("put", key, nil, "reading the source: "+rerr.Error())
	}
	if rerr != nil { // all of it fits in one part
		err := b.do(ctx, "put", key, func(ctx context.Context) error {
			_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: &b.bucket, Key: &full, Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
			})
			return err
		})
		if err != nil {
			return Sent{}, err
		}
		return Sent{Size: int64(n), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
	}
	return b.multipart(ctx, key, full, r, buf, h)
}

// multipart uploads buf (a full first part) and the rest of r.
func (b *Bucket) multipart(ctx context.Context, key, full string, r io.Reader, buf []byte, h hashWriter) (Sent, error) {
	var id *string
	err := b.do(ctx, "put", key, func(ctx context.Context) error {
		out, err := b.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b.bucket, Key: &full})
		if err == nil {
			id = out.UploadId
		}
		return err
	})
	if err != nil {
		return Sent{}, err
	}
	size, err := b.parts(ctx, key, full, id, r, buf, h)
	if err != nil {
		// The upload's context may be the reason: abort with one that
		// is not cancelled, but bounded.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		if aerr := b.abort(actx, key, full, id); aerr != nil {
			return Sent{}, fmt.Errorf("%w; and %w", err, aerr)
		}
		return Sent{}, err
	}
	return Sent{Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

// parts sends buf as part 1, then reads and sends the rest, and completes
// the upload; it returns the bytes sent.
func (b *Bucket) parts(ctx context.Context, key, full string, id *string, r io.Reader, buf []byte, h hashWriter) (int64, error) {
	var done []types.CompletedPart
	size := int64(0)
	n := len(buf)
	for num := int32(1); n > 0; num++ {
		if num > MaxParts {
			return 0, b.fail("put", key, nil, fmt.Sprintf("larger than %d parts of %d MiB: raise the part size", MaxParts, b.partSize>>20))
		}
		var etag *string
		err := b.do(ctx, "put", key, func(ctx context.Context) error {
			out, err := b.client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &b.bucket, Key: &full, UploadId: id, PartNumber: aws.Int32(num),
				Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
			})
			if err == nil {
				etag = out.ETag
			}
			return err
		})
		if err != nil {
			return 0, err
		}
		done = append(done, types.CompletedPart{ETag: etag, PartNumber: aws.Int32(num)})
		size += int64(n)
		var rerr error
		n, rerr = io.ReadFull(r, buf)
		h.Write(buf[:n])
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return 0, b.fail("put", key, nil, "reading the source: "+rerr.Error())
		}
		if err := ctx.Err(); err != nil {
			return 0, b.fail("put", key, err, "cancelled")
		}
	}
	return size, b.do(ctx, "put", key, func(ctx context.Context) error {
		_, err := b.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &b.bucket, Key: &full, UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
		})
		return err
	})
}

// abort ends a multipart upload and drops its parts. An upload already gone
// counts as aborted.
func (b *Bucket) abort(ctx context.Context, key, full string, id *string) error {
	err := b.do(ctx, "abort", key, func(ctx context.Context) error {
		_, err := b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b.bucket, Key: &full, UploadId: id})
		return err
	})
	var e *Error
	if errors.As(err, &e) && e.Kind == ErrNotFound {
		return nil
	}
	return err
}
