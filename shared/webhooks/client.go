package webhooks

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
)

// ErrPrivateAddress refuses a connection to an address a webhook must not reach.
var ErrPrivateAddress = errors.New("the callback URL resolves to a loopback, private, link-local or reserved address, which webhooks are never sent to")

// NewClient is the HTTP client webhooks are sent with. Unless allowPrivate
// (the local stack's setting), it refuses to connect to any address that is
// not public (domain.PublicAddress). The check runs in the dialer on the
// address actually connected to, after DNS resolution, so a name that
// resolves to a public address when checked and a private one when used
// (DNS rebinding) is refused too. It uses no proxy (which would connect on
// its behalf) and follows no redirect. rootCAs, when not nil, replaces the
// system's certificate authorities (tests with their own TLS server).
func NewClient(allowPrivate bool, rootCAs *x509.CertPool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: resources.WebhookPostTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: rootCAs},
	}
	return &http.Client{
		Transport: transport,
		Timeout:   resources.WebhookPostTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// refusePrivate is a net.Dialer Control: it sees the resolved address.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w (%s)", ErrPrivateAddress, address)
	}
	if !domain.PublicAddress(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
	}
	return nil
}
