"""
Which C{Host} headers the C{--metrics} endpoint answers: an address, or
C{localhost}, or the name its endpoint listens on. A web page on another
site that makes its own name resolve to the endpoint's address (DNS
rebinding) gets its browser to send that other name, and is refused,
so it cannot read C{/sessions} (who is connected, the names clients sent
to C{USER}) through an operator's browser.
"""

import ipaddress


def hostName(header):
    """
    @param header: a C{Host} header's value, e.g. C{b"127.0.0.1:9102"},
        C{b"[::1]:9102"} or C{b"localhost"}.
    @return: its host part, lower case, without the port or the
        brackets around an IPv6 address; C{None} if it is not ASCII.
    """
    try:
        text = header.decode("ascii").strip().lower()
    except UnicodeDecodeError:
        return None
    if text.startswith("["):
        return text[1:].partition("]")[0]
    if text.count(":") == 1:
        return text.partition(":")[0]
    return text


def isAddress(name):
    """
    @param name: a host, as L{hostName} gives it.
    @return: whether it is an IPv4 or IPv6 address, written as one.
    """
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowedHost(header, names=()):
    """
    @param header: a request's C{Host} header (bytes), or C{None} when it
        sent none (HTTP/1.0; a browser always sends one).
    @param names: the other names it may give, lower case
        (L{ftpkit.deploy.endpoints.endpointNames}).
    @return: whether to answer the request.
    """
    if header is None:
        return True
    name = hostName(header)
    if name is None:
        return False
    name = name.rstrip(".")
    return name == "localhost" or isAddress(name) or name in names

