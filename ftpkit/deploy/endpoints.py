"""
Reading Twisted endpoint descriptions (C{--listen} and C{--metrics}
values) as data, and L{BareAccepting}, the listening endpoints' wrapper.
"""

import ipaddress
import os
import re
import socket

from twisted.internet.interfaces import IStreamServerEndpoint
from zope.interface import implementer

from ftpkit.compat import acceptBareOn, endpointPort
from ftpkit.deploy.startdirectory import fromStart
from ftpkit.protocol.numbertext import isWholeNumber, octalNumber

LISTEN_BACKLOG = 511
"""Connections the kernel completes and queues for a listener until the
server accepts them. Twisted's endpoints queue 50: clients connecting at
once to a busy server overflowed that, and those whose connections the
kernel dropped were greeted only after their retries (one second, three,
seven...). The acceptor of C{--workers} listens with it too."""

_QUEUED_KINDS = ("tcp", "tcp6", "unix")
"""The endpoints whose description may name a C{backlog}, third after
the kind: C{tcp:PORT:INTERFACE:BACKLOG}, C{unix:PATH:MODE:BACKLOG}."""


def splitEndpoint(description, keepEscapes=False):
    """
    Split an endpoint description on its unescaped colons.

    @param description: e.g. C{"ssl:990:privateKey=k.pem"} or
        C{"tcp6:2121:interface=\\:\\:1"}.
    @param keepEscapes: keep the backslash escapes, so that joining the
        fields with C{:} gives the description back.
    @return: the fields, backslash escapes resolved unless kept.
    """
    fields, current, escaped = [], [], False
    for character in description:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
            if not keepEscapes:
                continue
        elif character == ":":
            fields.append("".join(current))
            current = []
            continue
        current.append(character)
    fields.append("".join(current))
    return fields


def withBacklog(description, backlog=LISTEN_BACKLOG):
    """
    Give a C{tcp:}, C{tcp6:} or C{unix:} listener that names no listen
    queue one of C{backlog} connections.

    @param description: an endpoint description (without C{haproxy:}).
    @param backlog: the queue's length.
    @return: C{description}, with C{:backlog=N} added when it is one of
        those kinds and names no C{backlog}, by name or in its place.
    """
    kind, *arguments = splitEndpoint(description)
    if kind.lower() not in _QUEUED_KINDS:
        return description
    placed = [argument for argument in arguments if "=" not in argument]
    named = [argument.partition("=")[0] for argument in arguments
             if "=" in argument]
    if len(placed) >= 3 or "backlog" in named:
        return description
    return "%s:backlog=%d" % (description, backlog)


def _numberError(error):
    """
    @param error: what parsing an endpoint description raised.
    @return: a reason naming the field for Python's C{int()} complaint
        (a port missing or not a number; a C{unix:} socket's C{mode}
        empty or not octal), or C{None} for other errors.
    """
    text = str(error)
    if not isinstance(error, ValueError):
        return None
    for prefix, what in [("invalid literal for int() with base 10: ",
                          "a port or number is missing or not a whole "
                          "number"),
                         ("invalid literal for int() with base 8: ",
                          "a mode is missing or not an octal number")]:
        if text.startswith(prefix):
            return f"{what} ({text[len(prefix):]})"
    return None


_PARSER_COMPLAINT = re.compile(r"^[\w.]+\(\) (.*)$")
"""A C{TypeError} from calling an endpoint parser with the arguments of a
description; its group is the complaint without the parser's name."""


def _argumentsError(error, description):
    """
    @param error: what parsing the endpoint description raised.
    @param description: that description.
    @return: a reason in the description's terms for Python's complaint
        about the arguments its parser was called with (which named the
        parser, C{_parseTCP() got an unexpected keyword argument
        'bogus'}), or C{None} for other errors.
    """
    complaint = _PARSER_COMPLAINT.match(str(error))
    if not isinstance(error, TypeError) or complaint is None:
        return None
    fields = splitEndpoint(description)
    if fields[0].lower() == "haproxy" and len(fields) > 1:
        fields = fields[1:]
    kind = fields[0].lower()
    names = _SOCKET_ARGUMENTS.get(kind)
    takes = f" (it takes {', '.join(names)})" if names else ""
    text = complaint.group(1)
    unknown = re.match(r"got an unexpected keyword argument (.*)$", text)
    if unknown:
        return f"{kind}: takes no argument {unknown.group(1)}{takes}"
    placed = re.match(r"takes (?:from \d+ to )?(\d+) positional arguments? "
                      r"but (\d+) (?:was|were) given$", text)
    if placed:
        most, count = int(placed.group(1)) - 1, int(placed.group(2)) - 1
        return (f"{kind}: takes at most {most} arguments without a name, "
                f"not {count}{takes}")
    missing = re.match(r"missing \d+ required positional arguments?: (.*)$",
                       text)
    if missing:
        return f"{kind}: needs {missing.group(1)}"
    twice = re.match(r"got multiple values for argument (.*)$", text)
    if twice:
        return f"{kind}: {twice.group(1)} given both in its place and by name"
    return f"{kind}: {text}"


def parseServerEndpoint(description, given=None):
    """
    Parse a server endpoint description (C{--listen}, C{--metrics}) as
    C{twistd} will once the server starts, and check what Twisted leaves
    to the listening itself: a port number out of range was an
    C{OverflowError} traceback from C{bind}.

    @param description: e.g. C{"tcp:2121:interface=127.0.0.1"}.
    @param given: the description as the user gave it, for the error
        message, when C{description} is what the server listens on in its
        place (the C{tcp:} one of an C{ssl:} listener) [default:
        C{description}].
    @return: the endpoint.
    @raise ValueError: saying why it is bad, naming it; an argument named
        twice among them (Twisted keeps the last: C{interface=127.0.0.1}
        then C{interface=0.0.0.0} listened on every address); an endpoint
        that listens on no socket (L{notListeningError}).
    """
    from twisted.internet import endpoints, reactor

    given = description if given is None else given
    repeated = repeatedArgument(given)
    if repeated is not None:
        raise ValueError(f"bad endpoint {given!r}: {repeated} given twice "
                         "(the last would replace the first)")
    why = notListeningError(description)
    if why is not None:
        raise ValueError(f"bad endpoint {given!r}: {why}")
    # Before Twisted's parser, which walks the directory it is given
    # (the current one for C{tls:}) and can fail on what it finds.
    certificates = certificateDirectory(description)
    if certificates is not None and not (certificates
                                         and os.path.isdir(certificates)):
        raise ValueError(f"bad endpoint {given!r}: no directory "
                         f"{certificates!r} of certificates")
    try:
        endpoint = endpoints.serverFromString(reactor, description)
    except Exception as e:  # noqa: BLE001 (any parse failure is the user's)
        why = (unescapedIPv6(description) or _numberError(e)
               or _argumentsError(e, description) or str(e))
        if isinstance(e, (IndexError, KeyError)) and _isSystemd(description):
            # Twisted's systemd: parser looks the socket up by index or
            # name among those passed.
            why = ("systemd passed this process no such socket (start it "
                   "through its .socket unit)")
        raise ValueError(f"bad endpoint {given!r}: {why}") from None
    port = endpointPort(endpoint)
    if port is not None and not 0 <= port <= 65535:
        raise ValueError(f"bad endpoint {given!r}: port {port} is "
                         "not from 0 to 65535")
    why = socketArgumentError(description) or interfaceError(description)
    if why is not None:
        raise ValueError(f"bad endpoint {given!r}: {why}")
    directory = socketDirectory(description)
    if directory is not None and not os.path.isdir(directory):
        raise ValueError(f"bad endpoint {given!r}: no directory "
                         f"{directory!r} for the socket")
    return endpoint


STDIO_REFUSED = (
    "stdio: listens on no socket: it serves one session over the "
    "standard input and output, which the log writes to as well, with no "
    "address for data connections (PASV), and the server then runs on "
    "serving nobody; listen on tcp:, tcp6:, ssl: or unix:, or have "
    "systemd pass a listening socket (systemd:)")
"""Why a C{stdio:} endpoint is refused (L{notListeningError})."""


def notListeningError(description):
    """
    Twisted's C{stdio:} server endpoint parsed, and the server served one
    session over its standard input and output, its log lines among the
    replies, C{PASV} answered C{425}, and it kept running once that
    session was over, listening nowhere. An FTP server listens: an
    C{inetd} that hands each connection to a process of its own passes a
    socket, which C{stdio:} does not take for one.

    @param description: an endpoint description (C{--listen},
        C{--metrics}).
    @return: why it cannot serve (a C{stdio:} one, behind C{haproxy:} or
        not), or C{None}.
    """
    fields = splitEndpoint(description)
    if fields[0].lower() == "haproxy" and len(fields) > 1:
        fields = fields[1:]
    if fields[0].lower() == "stdio":
        return STDIO_REFUSED
    return None


def certificateDirectory(description):
    """
    Twisted took a directory that does not exist (C{tls:127.0.0.1:2121},
    read as that directory and port 2121 of every address) and failed
    every client's handshake.

    @param description: an endpoint description.
    @return: the directory of PEM files (one per host name) a C{tls:}
        listener serves its certificates from (C{""} when it names
        none), or C{None} for another kind of endpoint.
    """
    fields = splitEndpoint(description)
    if fields[0].lower() != "tls":
        return None
    named = dict(field.partition("=")[::2] for field in fields[1:]
                 if "=" in field)
    placed = [field for field in fields[1:] if "=" not in field]
    path = named.get("path", placed[0] if placed else "")
    return fromStart(path) if path else ""


def repeatedArgument(description):
    """
    @param description: an endpoint description.
    @return: the name of an argument it names twice (C{NAME=...}), or
        C{None}.
    """
    named = set()
    for field in splitEndpoint(description)[1:]:
        name, equals, _ = field.partition("=")
        if equals and name in named:
            return name
        named.add(name if equals else None)
    return None


_SOCKET_ARGUMENTS = {"tcp": ("port", "interface", "backlog"),
                     "tcp6": ("port", "interface", "backlog"),
                     "unix": ("address", "mode", "backlog", "lockfile")}
"""The arguments of the endpoints whose socket ftpkit checks, in the
order their descriptions may give them unnamed."""

_TRUTH_ARGUMENTS = {"unix": "lockfile"}
"""The endpoints with a truth-valued argument, and its name (Twisted
reads C{lockfile} with C{bool(int(...))}: C{1} and C{2} were true,
C{true} a complaint about a port)."""


def withTruthValues(description):
    """
    Write a C{unix:} listener's C{lockfile} as Twisted reads it, C{1} or
    C{0}, from any spelling of L{ftpkit.protocol.truthtext} (C{yes},
    C{true}, C{off}...), as a store's truth-valued options are read.

    @param description: an endpoint description (C{haproxy:} in front of
        it or not).
    @return: C{description}, its C{lockfile} (named, or in its place
        after C{address}, C{mode} and C{backlog}) C{1} or C{0}.
    @raise ValueError: for a C{lockfile} no spelling reads (C{2},
        C{maybe}, nothing), naming it.
    """
    from ftpkit.protocol.truthtext import SPELLINGS, truthValue

    fields = splitEndpoint(description, keepEscapes=True)
    front = 1 if fields[0].lower() == "haproxy" and len(fields) > 1 else 0
    name = _TRUTH_ARGUMENTS.get(fields[front].lower())
    if name is None:
        return description
    place = _SOCKET_ARGUMENTS[fields[front].lower()].index(name)
    unnamed = [index for index in range(front + 1, len(fields))
               if "=" not in fields[index]]
    for index in range(front + 1, len(fields)):
        key, equals, value = fields[index].partition("=")
        if not equals:
            # In its place, or another argument given without its name.
            key, value = (name, key) if unnamed.index(index) == place else (
                None, None)
        if key != name:
            continue
        truth = truthValue(value)
        if truth is None:
            raise ValueError(f"bad endpoint {description!r}: {name} "
                             f"{value[:40]!r} must be {SPELLINGS}")
        fields[index] = (f"{name}=" if equals else "") + str(int(truth))
    return ":".join(fields)


_MOST_BACKLOG = 2 ** 31 - 1
"""The largest listen queue a socket takes (a C C{int}; the kernel cuts
it to C{net.core.somaxconn})."""


_LONGEST_SOCKET_PATH = 107
"""The bytes of the longest path a Unix socket may be bound to (Linux's
C{sun_path} holds 108, its terminating NUL among them)."""


def socketArgumentError(description):
    """
    Check what Twisted leaves to the socket: a C{backlog} or a C{unix:}
    C{mode} that no socket takes was an C{OverflowError} traceback once
    the server listened (a C{unix:} socket and its lock file left
    behind); the numbers Twisted reads with Python's C{int}, which took
    C{+2121}, C{2_121}, spaces and other scripts' digits as a port
    (L{ftpkit.protocol.numbertext}); an empty C{interface} (a
    variable left unset), which listened on every address; and a
    C{unix:} socket's empty path (C{unix:}, C{unix:address=}) or one
    too long for a socket, which parsed and then stopped the server as
    it started ("cannot listen: No such file or directory", "AF_UNIX
    path too long").

    @param description: an endpoint description Twisted parsed.
    @return: why its C{port}, C{backlog}, C{mode}, C{interface} or
        C{address} is bad, or C{None}.
    """
    fields = splitEndpoint(description)
    if fields[0].lower() == "haproxy":
        fields = fields[1:]
    names = _SOCKET_ARGUMENTS.get(fields[0].lower())
    if names is None:
        return None
    given = dict(zip(names, [f for f in fields[1:] if "=" not in f]))
    given.update(field.partition("=")[::2] for field in fields[1:]
                 if "=" in field)
    for name in ("port", "backlog"):
        if name in given and not isWholeNumber(given[name]):
            return f"{name} {given[name]!r} is not a number of ASCII digits"
    if given.get("interface") == "":
        return ("interface is empty, which listens on every address "
                "(leave it out to mean that)")
    if given.get("address") == "":
        return "the socket's path is empty"
    if "address" in given:
        length = len(os.fsencode(given["address"]))
        if length > _LONGEST_SOCKET_PATH:
            return (f"the socket's path is {length} bytes long, past the "
                    f"{_LONGEST_SOCKET_PATH} a Unix socket's may have")
    if "backlog" in given and int(given["backlog"]) > _MOST_BACKLOG:
        return (f"backlog {given['backlog']} is not from 0 to "
                f"{_MOST_BACKLOG}")
    if "mode" in given:
        try:
            mode = octalNumber(given["mode"])
        except ValueError:
            mode = None
        if mode is None or mode > 0o7777:
            return f"mode {given['mode']} is not an octal mode from 0 to 7777"
    return None


def unescapedIPv6(description):
    """
    An IPv6 C{interface} written with its colons as they are
    (C{tcp:2121:interface=::1}) is cut at each into fields of their own,
    and Twisted's complaint about them named none of it (C{tcp:
    'interface' given both in its place and by name}).

    @param description: an endpoint description Twisted could not parse.
    @return: what to write instead, or C{None} when no C{interface=} runs
        on into the next fields as an IPv6 address.
    """
    fields = splitEndpoint(description, keepEscapes=True)
    for index, field in enumerate(fields):
        name, equals, value = field.partition("=")
        if name != "interface" or not equals:
            continue
        for end in range(len(fields), index + 1, -1):
            address = ":".join([value, *fields[index + 1:end]])
            if "\\" in address or not _isIPv6(address.partition("%")[0]):
                continue
            escaped = address.replace(":", "\\:")
            return (f"interface {address!r} is an IPv6 address: escape its "
                    f"colons, interface={escaped} (in quotes for a shell)")
    return None


def _isIPv6(text):
    """
    @param text: anything.
    @return: whether it is an IPv6 address.
    """
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def interfaceError(description, resolve=socket.getaddrinfo):
    """
    Resolve a C{tcp:} or C{tcp6:} listener's C{interface} when it is a
    name, as C{bind} does once the server listens: a name that does not
    resolve (C{interface=999.1.1.1}, a typo) was a C{critical} log line
    and exit status 1 after the start had begun, rather than a usage
    error. An address the machine does not have is still found only
    when listening: it may be added later, or bound non-locally.

    @param description: an endpoint description Twisted parsed.
    @param resolve: L{socket.getaddrinfo}, or a stand-in for tests.
    @return: why its C{interface} names no address, or C{None}.
    """
    from twisted.internet.abstract import isIPAddress, isIPv6Address

    fields = splitEndpoint(description)
    if fields[0].lower() == "haproxy":
        fields = fields[1:]
    if fields[0].lower() not in ("tcp", "tcp6"):
        return None
    placed = [field for field in fields[1:] if "=" not in field]
    named = dict(field.partition("=")[::2] for field in fields[1:]
                 if "=" in field)
    interface = named.get("interface",
                          placed[1] if len(placed) > 1 else "")
    if not interface or isIPAddress(interface) or isIPv6Address(interface):
        return None
    try:
        # Twisted binds a name as IPv4, for tcp6: as well.
        resolve(interface, None, socket.AF_INET, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        why = getattr(e, "strerror", None) or str(e)
        return (f"interface {interface!r} is no IP address, and no address "
                f"of that name was found ({why})")
    return None


def socketDirectory(description):
    """
    @param description: an endpoint description.
    @return: the directory of a C{unix:} socket's path (behind
        C{haproxy:} or not), or C{None} for another kind of endpoint.
    """
    fields = splitEndpoint(description)
    if fields[0].lower() == "haproxy":
        fields = fields[1:]
    if len(fields) < 2 or fields[0].lower() != "unix":
        return None
    named = dict(field.partition("=")[::2] for field in fields[1:]
                 if "=" in field)
    placed = [field for field in fields[1:] if "=" not in field]
    address = named.get("address", placed[0] if placed else "")
    return os.path.dirname(fromStart(address)) if address else None


def _isSystemd(description):
    """
    @param description: an endpoint description.
    @return: whether it is a C{systemd:} one (a socket systemd passes).
    """
    return splitEndpoint(description)[0].lower() == "systemd"


@implementer(IStreamServerEndpoint)
class BareAccepting:
    """
    A server endpoint whose TCP ports accept their connections as bare
    sockets (L{ftpkit.compat.acceptBareOn}); any other port it gives as
    it is.

    @ivar endpoint: the endpoint listened on.
    @ivar port: the port it listens with, once listening (else C{None}).
    """

    port = None

    def __init__(self, endpoint, listened=None, exhausted=None):
        """
        @param endpoint: an C{IStreamServerEndpoint}.
        @param listened: called with the port once listening, or C{None}.
        @param exhausted: answers the clients waiting in the listen queue
            when the process has no descriptor left to accept them (see
            L{acceptBareOn}), or C{None}.
        """
        self.endpoint = endpoint
        self._listened = listened
        self._exhausted = exhausted

    def listen(self, factory):
        """
        @param factory: the protocol factory.
        @return: a Deferred firing with the listening port, as
            C{endpoint.listen} does.
        """
        return self.endpoint.listen(factory).addCallback(self._bare)

    def _bare(self, port):
        acceptBareOn(port, self._exhausted)
        self.port = port
        if self._listened is not None:
            self._listened(port)
        return port


_EVERY_ADDRESS = frozenset({"", "0.0.0.0", "::"})
"""The C{interface} values (none given among them) that listen on every
address the machine has."""


def servesEveryNetwork(description):
    """
    @param description: a Twisted server endpoint string, e.g.
        C{"tcp:9102"}.
    @return: whether it listens on every address of the machine: a
        C{tcp:}, C{tcp6:} or C{ssl:} endpoint naming no C{interface}, or
        C{0.0.0.0} or C{::}.
    """
    fields = splitEndpoint(description)
    if fields[0].lower() not in ("tcp", "tcp6", "ssl"):
        return False
    interfaces = [field.partition("=")[2] for field in fields[1:]
                  if field.startswith("interface=")]
    return not interfaces or interfaces[-1] in _EVERY_ADDRESS


def endpointNames(description):
    """
    @param description: the C{--metrics} endpoint string, e.g.
        C{"tcp:9102:interface=metrics.example.com"}.
    @return: the C{frozenset} of the names it listens on (its
        C{interface}), lower case, for L{ftpkit.ops.hostcheck.allowedHost};
        empty without one.
    """
    return frozenset(
        field.partition("=")[2].lower().rstrip(".")
        for field in splitEndpoint(description)[1:]
        if field.startswith("interface=") and field != "interface=")


_ADDRESSED_KINDS = frozenset({"tcp", "tcp6", "ssl"})
"""The endpoints whose clients always have an IP address."""


def clientsHaveAddresses(description):
    """
    @param description: a C{--listen} value.
    @return: whether every client of that listener has an IP address,
        which C{--allow-from} and C{--deny-from} match: a C{tcp:},
        C{tcp6:} or C{ssl:} one, one behind C{haproxy:} (the header gives
        it), a C{systemd:} one of C{domain=INET} or C{INET6}. Not a
        C{unix:} one, whose clients have none, nor any other kind.
    """
    fields = splitEndpoint(description)
    kind = fields[0].lower()
    if kind == "haproxy" or kind in _ADDRESSED_KINDS:
        return True
    if kind == "systemd":
        domains = [field.partition("=")[2].upper() for field in fields[1:]
                   if field.startswith("domain=")]
        return bool(domains) and domains[-1] in ("INET", "INET6")
    return False
