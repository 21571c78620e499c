"""
Virtual hosts (RFC 7151 C{HOST}): names mapped to realms, and the one
decision of which realm a C{HOST} command picks (L{chooseHost}).

A L{VirtualHost} is what C{--vhost NAMES=REALM[:ARGS]} describes: its
names and the realm built from C{REALM[:ARGS]} by the same realm plugins
C{--realm} uses. The server's checkers (C{--auth}) and access rules
(C{--read-only}, the anonymous rules) hold for every virtual host; only
the realm, and so the files users see, differs. A session that never
sends C{HOST}, or sends C{REIN}, uses the default realm (C{--realm}).

Pure: no Twisted.
"""

import ipaddress
import re
from dataclasses import dataclass
from typing import Optional, Tuple

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
"""One label of a host name, matched whole (C{fullmatch}: a C{$} would also
end a match before a final line feed, and took C{a\\n.example}, which a
client sends in one line after a CRLF one, for a name; L{parseHostName}
then passed the line feed to the 220 reply, the log lines and
C{/sessions})."""

_WITH_PORT = re.compile(r"(?:\[[^\]]*\]|[^:\[\]]+):[0-9]+")
"""A name, an IPv4 address or a bracketed IPv6 address, then a port (as
HTTP's C{Host} header has it), which RFC 7151 does not take."""

DEFAULT = "default"
"""L{chooseHost}'s answer for a name the default realm serves."""


def parseHostName(text):
    """
    Check and normalize the argument of C{HOST} (RFC 7151 section 3: a
    domain name, in A-labels for an internationalized one, an IPv4
    address, or an IPv6 address in square brackets). Text whose last
    label is all digits is an IPv4 address or nothing: RFC 1123 (section
    2.1) keeps a host name's last label from being all digits, and a
    dotted quad has no trailing dot (the root a name may end with).
    An IPv4-mapped IPv6 address (C{[::ffff:192.0.2.1]}) is the IPv4
    address, as ftpkit takes it everywhere (limits, C{--allow-from}, the
    server's own address in L{localAddressNames}).

    @param text: the argument as received.
    @return: the name in lower case without a trailing dot, an IPv4
        address (mapped or not) in dotted-quad form, or any other IPv6
        address in its compressed form inside brackets (C{"[::1]"}):
        equal names compare equal.
    @raise ValueError: saying why the text is no host name.
    """
    text = text.strip()
    if _WITH_PORT.fullmatch(text):
        raise ValueError("a host name or address, without a port")
    if text.startswith("["):
        if not text.endswith("]"):
            raise ValueError("an IPv6 address goes in brackets: [ADDRESS]")
        try:
            address = ipaddress.IPv6Address(text[1:-1])
        except ValueError:
            raise ValueError("not an IPv6 address in brackets")
        if address.scope_id is not None:
            # Python takes any text after '%' as a zone: control
            # characters, spaces, NUL, which the name carried into the
            # 220 reply and the log lines of the session.
            raise ValueError("an IPv6 address in HOST has no zone (%)")
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return f"[{address.compressed}]"
    if ":" in text:
        raise ValueError("an IPv6 address goes in brackets: [ADDRESS]")
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        pass
    if not text.isascii():
        raise ValueError("an international name must be sent in A-labels "
                         "(xn--...)")
    name = text.lower()
    absolute = name.endswith(".")
    if absolute:
        name = name[:-1]
    labels = name.split(".")
    if labels[-1].isdigit():
        # RFC 1123, 2.1: a host name's last label is never all digits.
        if absolute:
            raise ValueError("not an IPv4 address (which has no trailing "
                             "dot) nor a host name (which does not end "
                             "in a number)")
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise ValueError("not an IPv4 address (a host name does not "
                             "end in a number)")
    if (not name or len(name) > 253
            or not all(_LABEL.fullmatch(label) for label in labels)):
        raise ValueError("not a host name")
    return name


def localAddressNames(host):
    """
    @param host: the local address of a control connection (C{"::1"},
        C{"127.0.0.1"}, C{"::ffff:127.0.0.1"}).
    @return: the names by which a client may give that address to
        C{HOST}, normalized as by L{parseHostName}.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return frozenset()
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 4:
        return frozenset([str(address)])
    return frozenset([f"[{address.compressed}]"])


@dataclass(frozen=True)
class VirtualHost:
    """
    One virtual host.

    @ivar names: the host names it answers to, normalized by
        L{parseHostName}.
    @ivar realmSpec: the C{NAME[:ARGS]} its realm was built from (for
        logs and messages).
    @ivar realm: the C{twisted.cred} realm its users log in to.
    @ivar banner: the text of the C{220} reply to C{HOST}, or C{None}
        for a standard one.
    """

    names: Tuple[str, ...]
    realmSpec: str
    realm: object
    banner: Optional[str] = None


def parseVhostOption(text):
    """
    Split a C{--vhost NAMES=REALM[:ARGS]} value.

    @param text: the option value: comma-separated host names, C{=}, and
        a realm spec as C{--realm} takes it.
    @return: C{(names, realmSpec)}, the names normalized.
    @raise ValueError: saying why the value is bad, among which a name
        given twice (C{a,a}, or spellings that normalize to one:
        C{a.example.} and C{A.example}, both named in the message): a
        slip for another name, most likely, that no host would serve.
    """
    names, sep, spec = text.partition("=")
    if not sep or not names.strip() or not spec.strip():
        raise ValueError(f"must be NAMES=REALM[:ARGS], like "
                         f"ftp.example.com=filesystem:/srv/example, "
                         f"not {text!r}")
    written = {}
    for name in names.split(","):
        try:
            parsed = parseHostName(name)
        except ValueError as e:
            raise ValueError(f"{name.strip()!r}: {e}")
        if parsed in written:
            spellings = {written[parsed], name.strip()}
            raise ValueError(f"{parsed!r} is given twice" + (
                f" (as {written[parsed]!r} and {name.strip()!r})"
                if len(spellings) > 1 else ""))
        written[parsed] = name.strip()
    return tuple(written), spec.strip()


def hostTable(hosts):
    """
    Index virtual hosts by name.

    @param hosts: L{VirtualHost}s.
    @return: a C{dict} from each name to its L{VirtualHost}.
    @raise ValueError: when two hosts share a name.
    """
    table = {}
    for host in hosts:
        for name in host.names:
            if name in table:
                raise ValueError(f"{name!r} is named by two virtual hosts")
            table[name] = host
    return table


def chooseHost(name, table, localNames, fallback):
    """
    Decide what a C{HOST} command with a valid name picks.

    @param name: the name, normalized by L{parseHostName}.
    @param table: the server's virtual hosts by name (L{hostTable}).
    @param localNames: the names of the control connection's local
        address (L{localAddressNames}): an address literal naming the
        server itself picks the default realm.
    @param fallback: whether names no virtual host has pick the default
        realm (C{--vhost-fallback}); without virtual hosts, every name
        does (a server with one host answers to whatever names lead to
        it).
    @return: the L{VirtualHost} named; L{DEFAULT} for the default realm;
        or C{None} for a name this server does not serve (C{504}).
    """
    host: Optional[VirtualHost] = table.get(name)
    if host is not None:
        return host
    if fallback or not table or name in localNames:
        return DEFAULT
    return None

