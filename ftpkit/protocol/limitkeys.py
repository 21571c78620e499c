"""
L{limitKey}: what every per-address limit counts a client as.

An IPv4 client has one address; an IPv6 client usually has a whole
network: a provider hands each customer at least a C{/64}, whose 2**64
addresses a host may all use (privacy addresses change by the hour, and
an attacker can pick a new one per connection). Limits counted per exact
IPv6 address would then limit nothing, so every per-address limit
(C{--max-connections-per-ip}, the delay after failed logins, passive
listeners per address, connections waiting over a limit under
C{--workers}) counts an IPv6 client by the network of
C{--ipv6-prefix-length} bits its address is in. No reactor here.

Checks that must match the exact address stay exact: a data connection
must come from the control connection's own address, and
C{--allow-from}/C{--deny-from} match networks the operator wrote (an IPv4
one matching the IPv4 address L{embeddedIPv4} finds in an IPv6 one).
"""

import functools
import ipaddress

from ftpkit.configvalues import prefixLength
from ftpkit.protocol.numbertext import wholeNumber

NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
"""RFC 6052's well-known prefix: a translator in front of an IPv6-only
server (SIIT-DC, RFC 7755) shows each IPv4 client as this prefix followed
by the client's IPv4 address, so that every IPv4 client is in one
C{/64}."""

DEFAULT_IPV6_PREFIX_LENGTH = 64
"""The prefix IPv6 clients are grouped by: the network one customer gets
at least (RFC 6177)."""


def embeddedIPv4(address):
    """
    The IPv4 client an IPv6 address stands for, if any: an IPv4-mapped
    address (C{::ffff:a.b.c.d}, an IPv4 client of a dual-stack listener),
    or one translated into L{NAT64_PREFIX}.

    @param address: an C{ipaddress.IPv6Address}.
    @return: the C{ipaddress.IPv4Address} in it, or C{None}.
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(address.packed[12:])
    return None


@functools.lru_cache(maxsize=4096)
def limitKey(host, ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH):
    """
    The key a per-address limit counts a client under.

    @param host: the client's address as text (C{"192.0.2.7"},
        C{"2001:db8::7"}, C{"::ffff:192.0.2.7"}, C{"fe80::1%eth0"}), or
        any other name (a Unix socket's), which is its own key.
    @param ipv6PrefixLength: the bits of an IPv6 address that name its
        client, 1 to 128 (128: the exact address).
    @return: an IPv4 address (an IPv4-mapped IPv6 address too, and one
        translated into L{NAT64_PREFIX}) in its usual form
        (C{"192.0.2.7"}); an IPv6 address's network
        (C{"2001:db8::/64"}), or the address itself (C{"2001:db8::7"})
        when C{ipv6PrefixLength} is 128; C{host} unchanged when it is no
        address.
    @raise ValueError: when C{ipv6PrefixLength} is not from 1 to 128.
    """
    if not 1 <= ipv6PrefixLength <= 128:
        raise ValueError(f"an IPv6 prefix length is from 1 to 128, "
                         f"not {ipv6PrefixLength!r}")
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if address.version == 4:
        return str(address)
    embedded = embeddedIPv4(address)
    if embedded is not None:
        return str(embedded)
    if ipv6PrefixLength == 128:
        return str(address)
    return str(ipaddress.IPv6Network((address, ipv6PrefixLength),
                                     strict=False))


def parsePrefixLength(text):
    """
    Read C{--ipv6-prefix-length}.

    @param text: the option's value.
    @return: it as an C{int} from 1 to 128 (L{prefixLength}).
    @raise ValueError: saying why it is not one.
    """
    try:
        value = wholeNumber(text)
    except ValueError:
        value = None
    return prefixLength(value, repr(text))
