package main

import (
	"encoding/pem"
	"net/http/httptest"
)

// pemOf is the test server's certificate as a CA bundle pgkeeper can trust.
func pemOf(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}
