"""
The rules a L{ftpkit.config.ServerConfig}'s values follow, each one
function raising L{ValueError} saying why a value breaks it. The config
checks every value it is given with them (L{checkConfig}), embedding
code's too (C{ServerConfig(umask=0o777)} was taken, where C{--umask 777}
was refused); the command line reads each option's text into a value,
then checks it with the same function (L{ftpkit.deploy.optionvalues}), so
that both refuse the same values for the same reason. Pure: no Twisted.

A rule that only guards the command line against a typo stays there:
timeouts under a second (C{--idle-timeout 0.001} cut every client),
more than four C{--workers} a CPU, C{--passive-ports} under 1024. Tests
and embedding code give such values on purpose.
"""

import ipaddress
import math
import os

from ftpkit.errors import BadArgument
from ftpkit.protocol.commands import parseHASHAlgorithm

MOST_BYTES = (1 << 63) - 1
"""The largest count of bytes (or bytes a second) L{byteCount} takes: a
TOML integer's (a users file's), PostgreSQL's C{bigint} (its users
table's), and far past any disk or rate."""

MOST_REPLY_TEXT = 8192 - len("220 \r\n")
"""The most bytes of UTF-8 L{replyText} takes: its reply line then fits
in the longest line Python's C{ftplib} reads (its C{maxline}; past it the
client raises an error, and has no session), which is also the longest
command line ftpkit reads (C{ServerConfig.maxLineLength})."""

LOG_FORMATS = ("text", "json")
"""The values C{--log-format} (C{ServerConfig.logFormat}) takes."""

_OWNER_BITS = 0o700
"""The owner's read, write and search bits, which a file-creation mask
must leave (L{fileMask})."""


def _isInteger(value):
    """
    @param value: anything.
    @return: whether it is an C{int} (not a C{bool}, which is one too).
    """
    return isinstance(value, int) and not isinstance(value, bool)


def positiveCount(value, shown=None):
    """
    @param value: a count (C{--max-connections}, C{--workers}...).
    @param shown: how the error names the value (the option's text, as
        the command line read it), C{repr(value)} when C{None}.
    @return: C{value}, an C{int} of at least 1.
    @raise ValueError: saying why otherwise.
    """
    if not _isInteger(value) or value < 1:
        raise ValueError(f"must be a positive integer, not "
                         f"{shown or repr(value)}")
    return value


def positiveSeconds(value, shown=None):
    """
    @param value: a timeout, in seconds.
    @param shown: see L{positiveCount}.
    @return: C{value}, a finite number greater than 0.
    @raise ValueError: saying why otherwise.
    """
    if not (_isInteger(value) or isinstance(value, float)) or not (
            value > 0 and math.isfinite(value)):
        raise ValueError(f"must be a positive number, not "
                         f"{shown or repr(value)}")
    return value


def nonNegativeSeconds(value, shown=None):
    """
    @param value: a delay or a grace, in seconds (C{--shutdown-grace}).
    @param shown: see L{positiveCount}.
    @return: C{value}, a finite number of at least 0.
    @raise ValueError: saying why otherwise.
    """
    shown = shown or repr(value)
    if not (_isInteger(value) or isinstance(value, float)) or not (
            math.isfinite(value)):
        raise ValueError(f"must be a number of seconds, not {shown}")
    if value < 0:
        raise ValueError(f"must be 0 or more seconds, not {shown}")
    return value


def fileMask(value, shown=None):
    """
    A file-creation mask that takes only group and other bits away.

    A mask taking the owner's read or write bit (C{777}, C{400}, C{200})
    makes files the server's own account, when not root, cannot read back
    or replace; one taking the owner's execute bit (C{100}) is refused too:
    files need no execute bit, but directories users make need their
    owner's search bit, or the server (not root) could not enter them to
    read, write or even stat what is inside.

    @param value: the mask (C{ServerConfig.umask}, C{--umask}).
    @param shown: see L{positiveCount}; the mask in octal when C{None}.
    @return: C{value}, an C{int} from C{0} to C{0o077}.
    @raise ValueError: saying why otherwise.
    """
    if shown is None:
        shown = f"{value:03o}" if _isInteger(value) else repr(value)
    if not _isInteger(value) or not 0 <= value <= 0o777:
        raise ValueError(f"must be an octal mask from 000 to 777, not {shown}")
    if value & _OWNER_BITS:
        raise ValueError(
            f"must leave the owner's bits (at most 077), not {shown}: the "
            "server could not read back, replace or enter what it stores")
    return value


def passivePortRange(bounds, shown=None):
    """
    @param bounds: C{(low, high)}, both ports inclusive
        (C{ServerConfig.passivePorts}, C{--passive-ports}).
    @param shown: see L{positiveCount}.
    @return: C{bounds} as a C{tuple}, with C{1024 <= low <= high <= 65535}:
        below 1024, a port is one C{PORT} and C{EPRT} refuse to connect
        to, and only root may listen on.
    @raise ValueError: saying why otherwise.
    """
    try:
        low, high = bounds
    except (TypeError, ValueError):
        low = high = None
    if not (_isInteger(low) and _isInteger(high)
            and 1024 <= low <= high <= 65535):
        raise ValueError(f"needs 1024 <= LOW <= HIGH <= 65535, not "
                         f"{shown or repr(bounds)}")
    return (low, high)


def prefixLength(value, shown=None):
    """
    @param value: the bits of an IPv6 address that name one client
        (C{ServerConfig.ipv6PrefixLength}, C{--ipv6-prefix-length}).
    @param shown: see L{positiveCount}.
    @return: C{value}, an C{int} from 1 to 128.
    @raise ValueError: saying why otherwise.
    """
    if not _isInteger(value) or not 1 <= value <= 128:
        raise ValueError(f"must be a prefix length from 1 to 128 "
                         f"(128: each address on its own), not "
                         f"{shown or repr(value)}")
    return value


def byteCount(value, least=1, shown=None):
    """
    @param value: a count of bytes, or of bytes a second (C{--max-*-rate},
        C{--max-upload-size}, the users file's rates and quotas).
    @param least: the smallest count allowed (a quota may be 0).
    @param shown: see L{positiveCount}.
    @return: C{value}, an C{int} from C{least} to L{MOST_BYTES}.
    @raise ValueError: saying why otherwise.
    """
    shown = shown or repr(value)
    if not _isInteger(value):
        raise ValueError(f"must be a number of bytes, not {shown}")
    if value < least:
        unit = "byte" if least == 1 else "bytes"
        raise ValueError(f"must be at least {least} {unit}, not {shown}")
    if value > MOST_BYTES:
        raise ValueError(f"must be at most {MOST_BYTES} bytes, not {shown}")
    return value


def replyText(text):
    """
    @param text: text shown to clients in a reply (C{--banner},
        C{--vhost-banner}, C{ServerConfig.banner}).
    @return: C{text}.
    @raise ValueError: when it is no C{str}, is empty or only spaces (a
        variable left unset: the client got C{"220 "}), holds CR, LF or
        another control character, which could forge reply lines, holds
        bytes that are not UTF-8 (the locale could not decode them: they
        said "control characters"), or is longer than L{MOST_REPLY_TEXT}.
    """
    if not isinstance(text, str):
        raise ValueError(f"must be text, not {text!r}")
    if not text.strip():
        raise ValueError(f"needs the text of the reply, not {text!r}")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        raise ValueError(f"must be UTF-8 text, not {raw!r}") from None
    if not text.isprintable():
        raise ValueError("must not contain control characters (CR, LF, ...)")
    if size > MOST_REPLY_TEXT:
        raise ValueError(
            f"at most {MOST_REPLY_TEXT} bytes of UTF-8, not {size}: a reply "
            "line longer than 8 KiB ends the session of some clients "
            "(Python's ftplib)")
    return text


def logFormat(text):
    """
    @param text: a C{--log-format} value (C{ServerConfig.logFormat}).
    @return: C{text}, one of L{LOG_FORMATS}.
    @raise ValueError: for anything else.
    """
    if text not in LOG_FORMATS:
        raise ValueError(f"must be text or json, not {text!r}")
    return text


def _items(value, what, example):
    """
    @param value: a field that holds several values (C{allowFrom},
        C{trustedProxies}, C{onUpload}).
    @param what: what its items are, for the error.
    @param example: the field's value written right, for the error.
    @return: its items as a C{tuple}, from a C{tuple} or a C{list}.
    @raise ValueError: for anything else; a string above all, which was
        taken as its characters (C{"10.0.0.0/8"}: the networks C{1},
        C{0}...).
    """
    if isinstance(value, (str, bytes)):
        raise ValueError(f"must be a tuple of {what}, not the string "
                         f"{value!r}: write {example}")
    if not isinstance(value, (tuple, list)):
        raise ValueError(f"must be a tuple of {what}, not {value!r}")
    return tuple(value)


IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
"""Where a dual-stack listener's IPv4 clients appear (RFC 4291
2.5.5.2): C{::ffff:192.0.2.7} is the IPv4 client C{192.0.2.7}."""


_NETWORK_TYPES = (ipaddress.IPv4Network, ipaddress.IPv6Network,
                  ipaddress.IPv4Address, ipaddress.IPv6Address)


def listenDescriptions(listen):
    """
    The endpoint descriptions an embedded L{ftpkit.embedding.FTPService}
    listens on.

    @param listen: Twisted server endpoint descriptions (C{str}), as
        C{--listen} takes them, in a C{tuple} or C{list}; or one alone.
    @return: them as a C{tuple} of at least one.
    @raise ValueError: for none, or one that is no C{str} (C{bytes}
        above all).
    """
    if isinstance(listen, str):
        return (listen,)
    if not isinstance(listen, (tuple, list)):
        raise ValueError(f"listen: must be endpoint descriptions like "
                         f"'tcp:2121', not {listen!r}")
    if not listen:
        raise ValueError("listen: no endpoint description: the service "
                         "would listen on nothing")
    for description in listen:
        if not isinstance(description, str):
            raise ValueError(f"listen: an endpoint description is a str "
                             f"like 'tcp:2121', not {description!r}")
    return tuple(listen)


def operatorNetwork(text):
    """
    A network an operator wrote (C{--allow-from}, C{--deny-from},
    C{--trusted-proxy}) as the rules match it. One inside
    L{IPV4_MAPPED} is the IPv4 network it stands for
    (C{::ffff:10.0.0.0/104} is C{10.0.0.0/8}): an IPv4 client of a
    dual-stack listener is matched as its IPv4 address
    (L{ftpkit.protocol.limitkeys.embeddedIPv4}), so the IPv6 form would match nobody.

    @param text: an address or a CIDR network, IPv4 or IPv6; host bits
        may be set (C{10.1.2.3/8} is C{10.0.0.0/8}); an L{ipaddress}
        network or address is taken too.
    @return: an C{ipaddress} network.
    @raise ValueError: when C{text} is neither.
    """
    if not isinstance(text, (str, *_NETWORK_TYPES)):
        # ipaddress takes an int (5 is 0.0.0.5) or 4 or 16 bytes as an
        # address: no operator means that.
        raise ValueError(f"not an address or CIDR network: {text!r}")
    network = ipaddress.ip_network(
        text.strip() if isinstance(text, str) else text, strict=False)
    if network.version == 6 and network.subnet_of(IPV4_MAPPED):
        return ipaddress.IPv4Network(
            (network.network_address.ipv4_mapped, network.prefixlen - 96))
    return network


def mappedLeftOut(network):
    """
    Whether a network an operator wrote holds the whole IPv4-mapped block
    without being inside it (C{::/0}, C{::/64}, C{::ffff:0:0/95}): it is
    kept as an IPv6 network (L{operatorNetwork}), so the IPv4 clients of
    a dual-stack listener, matched as their IPv4 addresses, are not in
    it, though it looks as if they were.

    @param network: what L{operatorNetwork} made of the operator's text.
    @return: C{True} for such a network.
    """
    return network.version == 6 and IPV4_MAPPED.subnet_of(network)


def parseNetwork(text):
    """
    @param text: an address or a CIDR network, IPv4 or IPv6 (an
        L{ipaddress} network or address is taken too).
    @return: C{text} as a network, in normal form (C{"10.0.0.0/8"}; an
        IPv4-mapped one as its IPv4 network: L{operatorNetwork}).
    @raise ValueError: saying why it is not one.
    """
    try:
        return str(operatorNetwork(text))
    except (TypeError, ValueError):
        raise ValueError(
            f"must be an address or a CIDR network like 10.0.0.0/8, "
            f"not {text!r}") from None


def parseNetworks(texts):
    """
    @param texts: CIDR blocks or addresses, e.g. C{["10.0.0.0/8", "::1"]}
        (L{ipaddress} networks or addresses are taken too).
    @return: a C{tuple} of L{ipaddress} networks (an IPv4-mapped one as
        its IPv4 network: L{operatorNetwork}).
    @raise ValueError: naming the first one that is not valid.
    """
    networks = []
    for text in texts:
        try:
            networks.append(operatorNetwork(text))
        except (TypeError, ValueError):
            raise ValueError(
                f"not an address or CIDR block: {text!r}") from None
    return tuple(networks)


def addressRules(value):
    """
    @param value: C{ServerConfig.allowFrom} or C{denyFrom}: a C{tuple}
        (or C{list}) of addresses or CIDR networks (C{--allow-from},
        C{--deny-from}).
    @return: them as a C{tuple} of network texts in normal form
        (L{parseNetwork}: C{"10.0.0.1/8"} is C{"10.0.0.0/8"}, as the
        options take it).
    @raise ValueError: for one string rather than a tuple, or an item that
        is no network.
    """
    return tuple(parseNetwork(text) for text in _items(
        value, "networks", '("10.0.0.0/8",)'))


def trustedNetworks(value):
    """
    @param value: C{ServerConfig.trustedProxies}: a C{tuple} (or C{list})
        of L{ipaddress} networks, or of addresses and CIDR networks as
        C{--trusted-proxy} takes them (C{"127.0.0.1"}), read as it reads
        them (L{parseNetworks}).
    @return: them as a C{tuple} of L{ipaddress} networks.
    @raise ValueError: for one string rather than a tuple, or an item that
        is no network.
    """
    return parseNetworks(_items(value, "networks", '("127.0.0.1",)'))


def argumentList(value):
    """
    @param value: C{ServerConfig.onUpload}: the command's argument list, a
        C{tuple} (or C{list}) of C{str} (C{bytes} and paths are taken
        too), its program first. A command line in one string, as
        C{--on-upload} takes it, is refused, not split: its characters
        were run as the arguments (C{/}, C{u}, C{s}...); C{shlex.split}
        splits one as the option does.
    @return: the arguments as a C{tuple}.
    @raise ValueError: saying why it is no argument list.
    """
    arguments = _items(value, "arguments", "(\"/usr/bin/logger\", "
                       "\"uploaded\"), or split a command line with "
                       "tuple(shlex.split(line))")
    if not arguments:
        raise ValueError("needs a command, not ()")
    for argument in arguments:
        if not isinstance(argument, (str, bytes, os.PathLike)):
            raise ValueError(f"must be a tuple of str, not one holding "
                             f"{argument!r}")
    return arguments


def hashNames(value):
    """
    @param value: C{ServerConfig.hashAlgorithms}: a C{tuple} (or C{list})
        of the algorithms C{HASH} offers, preferred first, named as
        C{HASH} names them (C{"SHA-256"}, C{"SHA-512"}, C{"SHA-1"},
        C{"MD5"}), in any case.
    @return: them as a C{tuple} of those names in upper case, as C{OPTS
        HASH} compares them (C{"sha-256"} was offered in C{FEAT}, and
        C{OPTS HASH SHA-256} refused).
    @raise ValueError: for one string rather than a tuple, or a name
        C{HASH} does not know (C{FEAT} got C{501 Unknown algorithm}), or
        none (C{OPTS HASH} got C{451} and logged a traceback), or one
        named twice, in any case (C{FEAT} listed it twice).
    """
    names = _items(value, "algorithm names", '("SHA-256",)')
    if not names:
        raise ValueError("needs an algorithm, not (): HASH uses the first")
    for name in names:
        try:
            parseHASHAlgorithm(name)
        except (AttributeError, BadArgument):
            raise ValueError(
                f"must name SHA-256, SHA-512, SHA-1 or MD5, not "
                f"{name!r}") from None
    upper = tuple(name.strip().upper() for name in names)
    for index, name in enumerate(upper):
        if name in upper[:index]:
            raise ValueError(f"names {name} twice ({names[index]!r})")
    return upper


_VIRTUAL_HOST_FIELDS = ("names", "realmSpec", "realm", "banner")
"""What the server reads of each of C{ServerConfig.virtualHosts}: the
fields of L{ftpkit.control.vhosts.VirtualHost}."""


def virtualHostList(value):
    """
    @param value: C{ServerConfig.virtualHosts}: a C{tuple} (or C{list}) of
        L{ftpkit.control.vhosts.VirtualHost}s (or values with its fields),
        each with a C{tuple} of names.
    @return: them as a C{tuple}.
    @raise ValueError: for one string rather than a tuple (C{HOST} was
        read as a table of one-letter names), an item without a
        L{VirtualHost<ftpkit.control.vhosts.VirtualHost>}'s fields, or
        one whose names are one string.
    """
    example = ('(VirtualHost(("ftp.example.com",), "filesystem:/srv/example", '
               'realm),)')
    hosts = _items(value, "VirtualHost values", example)
    for host in hosts:
        if not all(hasattr(host, name) for name in _VIRTUAL_HOST_FIELDS):
            raise ValueError(f"must be a tuple of VirtualHost values, not "
                             f"one holding {host!r}: write {example}")
        try:
            _items(host.names, "host names", '("ftp.example.com",)')
        except ValueError as e:
            raise ValueError(f"a VirtualHost's names {e}") from None
    return hosts


RULES = {
    "banner": (replyText, False),
    "umask": (fileMask, True),
    "passivePorts": (passivePortRange, True),
    "maxConnections": (positiveCount, False),
    "maxConnectionsPerIP": (positiveCount, False),
    "ipv6PrefixLength": (prefixLength, False),
    "maxPassivePerIP": (positiveCount, True),
    "workers": (positiveCount, False),
    "idleTimeout": (positiveSeconds, True),
    "loginTimeout": (positiveSeconds, False),
    "dataTimeout": (positiveSeconds, False),
    "maxLoginAttempts": (positiveCount, False),
    "logFormat": (logFormat, False),
    "maxSessionsPerUser": (positiveCount, True),
    "shutdownGrace": (nonNegativeSeconds, False),
    "maxDownloadRate": (byteCount, True),
    "maxUploadRate": (byteCount, True),
    "maxTotalRate": (byteCount, True),
    "maxUploadSize": (byteCount, True),
    "allowFrom": (addressRules, False),
    "denyFrom": (addressRules, False),
    "trustedProxies": (trustedNetworks, False),
    "onUpload": (argumentList, True),
    "hashAlgorithms": (hashNames, False),
    "virtualHosts": (virtualHostList, False),
}
"""The fields whose values the command line checks, each with its rule
and whether C{None} (no limit, or the default) is allowed. A rule returns
the value the config holds: the one given, or its normal form (a C{list}
as a C{tuple}, network texts as L{ipaddress} networks for
C{trustedProxies})."""


def checkConfig(config):
    """
    Check the values of a config with L{RULES}.

    @param config: a L{ftpkit.config.ServerConfig}.
    @return: a C{dict} of the fields whose value the config should hold
        in its normal form instead (L{RULES}), by name.
    @raise ValueError: C{"ServerConfig NAME: why"} for the first value
        that breaks its rule.
    """
    normal = {}
    for name, (rule, optional) in RULES.items():
        value = getattr(config, name)
        if value is None and optional:
            continue
        try:
            checked = rule(value)
        except ValueError as e:
            raise ValueError(f"ServerConfig {name}: {e}") from None
        if checked != value or type(checked) is not type(value):
            normal[name] = checked
    return normal
