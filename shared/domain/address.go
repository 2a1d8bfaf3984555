package domain

import "net/netip"

// nonPublic are the ranges, besides loopback, private, link-local,
// multicast and unspecified addresses, that a webhook must never reach
// in AWS: shared address space (carrier-grade NAT), "this network", IETF
// protocol assignments, benchmarking, reserved and broadcast, and the
// NAT64 prefixes that could map to any of them.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// PublicAddress tells whether a webhook may be delivered to ip in AWS: not
// loopback, private, link-local (the instance metadata service among them),
// multicast, unspecified or otherwise reserved, an IPv4-mapped IPv6
// address judged as its IPv4 address.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
