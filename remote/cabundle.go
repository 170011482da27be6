package remote

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// clientFor is cfg's HTTP client: the caller's, or the SDK's own (with its
// dial and TLS timeouts) that also gives up on a store silent for
// cfg.Silence after a request was sent, and trusts CABundle's certificates.
// Without that bound a store that stops answering would hold the backup,
// and the heavy-job lock, until TCP gives up.
func clientFor(cfg Config) (aws.HTTPClient, error) {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient, nil
	}
	silence := cfg.Silence
	if silence <= 0 {
		silence = DefaultSilence
	}
	client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.ResponseHeaderTimeout = silence
	})
	if cfg.CABundle == "" {
		return client, nil
	}
	pemData, err := os.ReadFile(cfg.CABundle)
	if err != nil {
		return nil, fmt.Errorf("CA bundle: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, errors.New("CA bundle " + cfg.CABundle + ": no PEM certificate in it")
	}
	return client.WithTransportOptions(func(tr *http.Transport) {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tr.TLSClientConfig.RootCAs = pool
	}), nil
}
