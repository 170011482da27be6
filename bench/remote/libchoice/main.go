// Command libchoice compares the memory of a streamed upload of unknown size
// with aws-sdk-go-v2 and minio-go against an in-process gofakes3 over TLS.
//
//	cd bench/remote/libchoice && go build -o /tmp/libchoice . && /tmp/libchoice [-size 512] [-part 16]
//
// The parent runs the server and verifies what arrived (sha256 read from the
// backend); each client runs in a child process of the same binary, so its
// peak RSS (its own VmHWM) holds nothing of the server's.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	mcreds "github.com/minio/minio-go/v7/pkg/credentials"
)

const bucket = "bench"

var modes = []string{
	"aws-own-loop/when_required",
	"aws-own-loop/when_required,unsigned",
	"aws-own-loop/when_supported",
	"aws-transfermanager/when_required",
	"aws-transfermanager/when_supported",
	"minio/part=16MiB",
	"minio/part=16MiB,checksum=crc32c",
	"minio/part=default",
}

func main() {
	size := flag.Int64("size", 512, "MiB to upload")
	part := flag.Int64("part", 16, "part size, MiB")
	child := flag.String("child", "", "internal: run one client")
	endpoint := flag.String("endpoint", "", "internal")
	flag.Parse()
	if *child != "" {
		if err := upload(*child, *endpoint, *size<<20, *part<<20); err != nil {
			log.Fatal(err)
		}
		// VmHWM of this process alone: rusage maxrss of a child also counts
		// the parent's pages it shared before exec.
		b, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				fmt.Print(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
			}
		}
		return
	}
	mem := s3mem.New()
	srv := httptest.NewTLSServer(gofakes3.New(mem).Server())
	defer srv.Close()
	if err := mem.CreateBucket(bucket); err != nil {
		log.Fatal(err)
	}
	want := hex.EncodeToString(sum(*size << 20))
	fmt.Printf("%d MiB unknown-size stream, part %d MiB\n", *size, *part)
	fmt.Println("| client | time | CPU | peak RSS | sha256 of what arrived |")
	fmt.Println("|---|---|---|---|---|")
	warm := exec.Command(os.Args[0], "-child", modes[0], "-endpoint", srv.URL, "-size", fmt.Sprint(*size), "-part", fmt.Sprint(*part))
	if err := warm.Run(); err != nil { // the server's first upload grows its heap: keep that out of the figures
		log.Fatal(err)
	}
	_, _ = mem.DeleteObject(bucket, key(modes[0]))
	for _, m := range modes {
		start := time.Now()
		cmd := exec.Command(os.Args[0], "-child", m, "-endpoint", srv.URL,
			"-size", fmt.Sprint(*size), "-part", fmt.Sprint(*part))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		took := time.Since(start)
		var rss float64 // KiB
		fmt.Sscanf(string(out), "%f kB", &rss)
		verdict := "matches"
		if err != nil {
			verdict = "upload failed: " + err.Error()
		} else if got, n, gerr := stored(mem, key(m)); gerr != nil {
			verdict = gerr.Error()
		} else if got != want {
			verdict = fmt.Sprintf("DIFFERS (%d bytes stored)", n)
		}
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		fmt.Printf("| %s | %.1f s | %.1f s | %.0f MiB | %s |\n", m, took.Seconds(), cpu.Seconds(), rss/1024, verdict)
		_, _ = mem.DeleteObject(bucket, key(m))
	}
}

func key(mode string) string {
	return "obj/" + strings.NewReplacer("/", "_", "=", "_", ",", "_").Replace(mode)
}

func stored(mem *s3mem.Backend, k string) (string, int64, error) {
	obj, err := mem.GetObject(bucket, k, nil)
	if err != nil {
		return "", 0, err
	}
	defer obj.Contents.Close()
	h := sha256.New()
	n, err := io.Copy(h, obj.Contents)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// stream is n pseudo-random bytes (the same for every run) with no length:
// no Len, Seek or Stat for a library to find.
type stream struct {
	left int64
	rng  *rand.ChaCha8
}

func newStream(n int64) *stream { return &stream{left: n, rng: rand.NewChaCha8([32]byte{1})} }

func (s *stream) Read(p []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, _ := s.rng.Read(p)
	s.left -= int64(n)
	return n, nil
}

func sum(n int64) []byte {
	h := sha256.New()
	_, _ = io.Copy(h, newStream(n))
	return h.Sum(nil)
}

var insecure = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

func upload(mode, endpoint string, size, part int64) error {
	ctx := context.Background()
	k := key(mode)
	lib, opt, _ := strings.Cut(mode, "/")
	var h hash.Hash = sha256.New()
	body := io.TeeReader(newStream(size), h)
	switch lib {
	case "aws-own-loop", "aws-transfermanager":
		calc := aws.RequestChecksumCalculationWhenRequired
		if strings.HasPrefix(opt, "when_supported") {
			calc = aws.RequestChecksumCalculationWhenSupported
		}
		c := s3.New(s3.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true, HTTPClient: insecure,
			Credentials:                credentials.NewStaticCredentialsProvider("id", "secret", ""),
			RequestChecksumCalculation: calc,
			ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		}, func(o *s3.Options) {
			if strings.HasSuffix(opt, ",unsigned") {
				o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
			}
		})
		if lib == "aws-transfermanager" {
			tm := transfermanager.New(c, func(o *transfermanager.Options) {
				o.PartSizeBytes = part
				o.RequestChecksumCalculation = calc
			})
			_, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: body})
			return err
		}
		return ownLoop(ctx, c, k, body, part)
	case "minio":
		c, err := minio.New(strings.TrimPrefix(endpoint, "https://"), &minio.Options{
			Creds: mcreds.NewStaticV4("id", "secret", ""), Secure: true, Transport: insecure.Transport,
			TrailingHeaders: strings.Contains(opt, "crc32c"),
			BucketLookup:    minio.BucketLookupPath,
		})
		if err != nil {
			return err
		}
		o := minio.PutObjectOptions{}
		if strings.Contains(opt, "part=16MiB") {
			o.PartSize = uint64(part)
		}
		if strings.Contains(opt, "crc32c") {
			o.Checksum = minio.ChecksumCRC32C
		}
		_, err = c.PutObject(ctx, bucket, k, body, -1, o)
		return err
	}
	return errors.New("unknown mode " + mode)
}

// ownLoop is the sequential multipart loop the remote package would use: one
// part buffer, reused.
func ownLoop(ctx context.Context, c *s3.Client, k string, r io.Reader, part int64) error {
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(k)})
	if err != nil {
		return err
	}
	buf := make([]byte, part)
	var parts []s3types.CompletedPart
	for n := int32(1); ; n++ {
		m, rerr := io.ReadFull(r, buf)
		if m > 0 || n == 1 {
			out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(k), UploadId: up.UploadId,
				PartNumber: aws.Int32(n), Body: bytes.NewReader(buf[:m]), ContentLength: aws.Int64(int64(m))})
			if err != nil {
				return err
			}
			parts = append(parts, s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		} else if rerr != nil {
			return rerr
		}
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(k),
		UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	return err
}
