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
// timeouts) trusting CABundle's certificates too; nil for the SDK's default.
func clientFor(cfg Config) (aws.HTTPClient, error) {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient, nil
	}
	if cfg.CABundle == "" {
		return nil, nil
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
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tr.TLSClientConfig.RootCAs = pool
	}), nil
}
