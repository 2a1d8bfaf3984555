package domain

import (
	"net/netip"
	"testing"
)

func TestPublicAddress(t *testing.T) {
	for _, s := range []string{"93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "172.32.0.1", "100.128.0.1"} {
		if !PublicAddress(netip.MustParseAddr(s)) {
			t.Errorf("%s: want public", s)
		}
	}
	for _, s := range []string{"127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
		"fe80::1", "fd00:ec2::254", "fc00::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "100.64.0.1", "255.255.255.255",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "198.18.0.1"} {
		if PublicAddress(netip.MustParseAddr(s)) {
			t.Errorf("%s: want refused", s)
		}
	}
}
