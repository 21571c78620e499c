"""
L{normalizeHost}: addresses in the form the data channel compares them
in (L{ftpkit.data.channel.DataChannel}, and the listeners that check a
connection's client before a session has it).
"""

import functools
import ipaddress


@functools.lru_cache(maxsize=4096)
def normalizeHost(host):
    """
    Reduce an address to a comparable form (IPv4-mapped IPv6 to IPv4).
    Cached: the same few addresses come back for every data connection.

    @param host: an IPv4 or IPv6 address as text.
    @return: the canonical text form, or C{host} unchanged if unparsable.
    """
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)
