"""
What C{--realm fsspec:URL} says, checked: the storage URL, the backend's
options and where the users file is. Pure parsing; L{resolve} only asks
fsspec which class serves a protocol (importing nothing it would not
import to serve it).

The argument is an fsspec URL, optionally followed by ftpkit's own query::

    s3://bucket/prefix?config=/etc/ftpkit/storage.toml&users=/etc/ftpkit/users.toml
    sftp://ftpgw@files.example.com:2222/srv/data?config=/etc/ftpkit/sftp.toml
    file:///srv/ftp
    memory://

  - C{config=PATH}: a TOML file (keep it mode 0600) whose C{[options]}
    table holds the backend's keyword arguments, secrets included
    (C{key}, C{secret}, C{password}, C{key_filename}, ...), and whose
    C{users} key may name the users file;
  - C{users=PATH}: a users file (L{ftpkit.auth.users}): each user's home is a
    prefix under the URL, with their permissions and quota;
  - C{size=SIZE} (C{memory://}, or an alias fsspec knows for it, only;
    K, M, G, T suffixes): the most bytes
    the tree in the server's memory holds, files and uploads in progress
    together, and one file or directory per KiB of it
    (L{ftpkit.auth.realms.MEMORY_REALM_BYTES} unless given);
  - C{deadline=SECONDS} (C{sftp://} and C{s3://} only): how long one
    call may wait for the store's answer before its command fails with
    C{451}, whole seconds from 1 to L{MAX_DEADLINE}: on SFTP the
    connection is then dropped (L{ftpkit.shells.calldeadline};
    L{ftpkit.shells.fsspecposix.SFTP_DEADLINE} unless given), on S3
    each request is bounded by botocore's own timeouts
    (L{boundS3Requests}; none unless given);
  - any other C{NAME=VALUE}: a backend option that is not a secret
    (C{endpoint_url}, C{region_name}, C{profile}, C{port}...): C{true},
    C{false} and whole numbers become C{bool} and C{int}; an option
    whose default is a truth value takes the spellings of
    L{ftpkit.protocol.truthtext} (C{1}, C{yes}, C{on}...), and a port,
    a timeout, a count or a size nothing out of its range
    (L{ftpkit.shells.storagebounds.checkedOptions}). A secret's name
    is refused there (and so is a password in the URL): the command line
    is seen by every user of the machine (C{ps}) and lands in shell
    history and logs.

fsspec's own configuration (C{~/.config/fsspec/*.json}, the
C{FSSPEC_<PROTOCOL>_<OPTION>} environment variables) and each backend's
(the AWS credential chain and profiles for S3, C{~/.ssh} for SFTP) apply
under these: an option given here wins.
"""

import tomllib
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import parse_qsl, urlsplit

from ftpkit.auth.reloadingfile import readRegularFile
from ftpkit.compat.fsspecnames import stripProtocol, urlOptions
from ftpkit.compat.memorystores import serves
from ftpkit.deploy.startdirectory import fromStart
from ftpkit.protocol.numbertext import isWholeNumber
from ftpkit.protocol.truthtext import truthValue
from ftpkit.shells.storagebounds import (
    checkedOptions,
    configuredOptions,
    urlPortError,
)
from ftpkit.shells.storageoptions import (
    knownOptions,
    refusal,
    unknownOption,
)

SECRET_WORDS = ("secret", "password", "passphrase", "token", "credential",
                "private", "sas")
"""Option names holding one of these are secrets."""

SECRET_NAMES = frozenset({"key", "pkey", "account_key", "access_key",
                          "connection_string", "client_key"})
"""Option names that are secrets though they hold no L{SECRET_WORDS}."""

_OWN_KEYS = ("config", "users", "size", "deadline")

MAX_DEADLINE = 86400
"""The longest C{deadline=}, in seconds."""

_SFTP_TIMEOUTS = ("timeout", "banner_timeout", "auth_timeout",
                  "channel_timeout")
"""paramiko's bounds on the steps of opening a connection, which the
deadline gives where the options do not: without them, a server that
stops answering held the first login (and a pool thread) for ever."""

DEADLINE_PROTOCOLS = ("sftp", "s3")
"""The stores C{deadline=} bounds, as their classes name them (whatever
the URL called them: C{ssh://}, C{s3a://}, an alias): those whose
stalled call can be ended (an SFTP connection closed, an S3 request
timed out by botocore)."""

_NEEDS = {"size": "size", "deadline": "number of seconds"}
"""What an own key's value is, for the message refusing an empty one."""

_EXTRAS = {"s3": "s3", "s3a": "s3", "sftp": "sftp", "ssh": "sftp"}


@dataclass(frozen=True)
class StorageConfig:
    """
    The storage of C{--realm fsspec:...}.

    @ivar url: the fsspec URL, without ftpkit's query.
    @ivar protocol: its protocol (C{"file"} for a bare path).
    @ivar options: the backend's keyword arguments from the config file
        and the query (not those fsspec reads from the URL itself).
    @ivar users: the users file, or C{None}.
    @ivar configFile: the config file, or C{None}.
    @ivar maxBytes: C{size=}, the most bytes a C{memory://} tree holds, or
        C{None} when not given.
    @ivar callDeadline: C{deadline=}, the seconds an SFTP call, or an S3
        request, may wait for an answer, or C{None} when not given.
    """

    url: str
    protocol: str
    options: dict = field(default_factory=dict)
    users: Optional[str] = None
    configFile: Optional[str] = None
    maxBytes: Optional[int] = None
    callDeadline: Optional[int] = None


def isSecretName(name):
    """
    @param name: a backend option's name.
    @return: whether its value would be a secret.
    """
    lowered = name.lower()
    return lowered in SECRET_NAMES or any(word in lowered for word in SECRET_WORDS)


def protocolOf(url):
    """
    @param url: an fsspec URL or a local path.
    @return: its protocol, C{"file"} for a path.
    """
    scheme, separator, _ = url.partition("://")
    if not separator:
        return "file"
    return scheme.lower()


def localURL(url):
    """
    @param url: a C{file://} or C{local://} URL, or a local path.
    @return: it with its path absolute (L{fromStart}): fsspec resolves a
        relative one against the current directory each time it makes
        the filesystem, which a worker of C{--workers} may no longer have.
    """
    scheme, separator, path = url.partition("://")
    if not separator:
        return fromStart(url)
    return scheme + separator + fromStart(path)


def parseArgument(argument, readFile=None):
    """
    Check the argument of C{--realm fsspec:...}.

    @param argument: the text after C{fsspec:}.
    @param readFile: reads a file's bytes given its path (for tests);
        C{open(path, "rb").read()} when omitted.
    @return: a L{StorageConfig}.
    @raise ValueError: with a one-line message saying what is wrong.
    """
    if not argument:
        raise ValueError(
            "the fsspec realm needs a URL: fsspec:s3://bucket/prefix,"
            " fsspec:sftp://user@host/path, fsspec:file:///srv/ftp, ...")
    url, _, query = argument.partition("?")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ValueError(f"fsspec realm: cannot parse the query {query!r}") from None
    try:
        urlsplit(url)
    except ValueError as e:
        # Python's "Invalid IPv6 URL" alone did not say which.
        raise ValueError(f"fsspec realm: {url[:80]!r} is no URL: {e} (an"
                         " IPv6 address is written [::1])") from None
    if _hasPassword(url):
        raise ValueError(
            "fsspec realm: no password in the URL (it would show in ps and"
            " logs); put it in the config file: ?config=PATH")
    own = {}
    queryOptions = {}
    for name, value in pairs:
        if name in own or name in queryOptions:
            # As an endpoint's argument, or an option, given twice.
            raise ValueError(f"fsspec realm: {name}= given twice (the last"
                             " would replace the first)")
        if name in _OWN_KEYS:
            if not value:
                raise ValueError(f"fsspec realm: {name}= needs a "
                                 + _NEEDS.get(name, "path"))
            own[name] = value
        elif isSecretName(name):
            raise ValueError(
                f"fsspec realm: {name!r} is a secret and cannot be given on the"
                " command line; put it in the config file (?config=PATH) or the"
                " backend's own configuration")
        else:
            queryOptions[name] = value
    options = {}
    users = own.get("users")
    configFile = own.get("config")
    if configFile is not None:
        configFile = fromStart(configFile)
        fileOptions, fileUsers = readConfig(configFile, readFile)
        options.update(fileOptions)
        users = users or fileUsers
    options.update(queryOptions)
    protocol = protocolOf(url)
    if protocol in ("file", "local"):
        url = localURL(url)
    return StorageConfig(url, protocol, options, users, configFile,
                         _maxBytes(own.get("size")),
                         _callDeadline(own.get("deadline")))


def _maxBytes(text):
    """
    @param text: the value of C{size=}, or C{None}.
    @return: the bytes it says, or C{None} without it (whether the store
        is one C{size=} bounds is for L{resolve}, which knows its class).
    @raise ValueError: for a size that is not one.
    """
    if text is None:
        return None
    from ftpkit.deploy.limitoptions import parseByteCount

    try:
        return parseByteCount(text)
    except ValueError as e:
        raise ValueError(f"fsspec realm: size={text}: {e}") from None


def _callDeadline(text):
    """
    @param text: the value of C{deadline=}, or C{None}.
    @return: the seconds it says, or C{None} without it.
    @raise ValueError: for a value that is not whole seconds from 1 to
        L{MAX_DEADLINE} (whether the store is one it bounds is for
        L{resolve}, which knows its class).
    """
    if text is None:
        return None
    if (not isWholeNumber(text) or len(text) > len(str(MAX_DEADLINE))
            or not 1 <= int(text) <= MAX_DEADLINE):
        raise ValueError(
            f"fsspec realm: deadline={text[:20]}: not whole seconds from 1 to"
            f" {MAX_DEADLINE}")
    return int(text)


def _hasPassword(url):
    """
    @return: whether the URL's authority holds C{user:password@}.
    """
    if "://" not in url:
        return False
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return False


def readConfig(path, readFile=None):
    """
    Read a storage config file::

        users = "/etc/ftpkit/users.toml"    # optional

        [options]                          # the backend's keyword arguments
        endpoint_url = "https://s3.eu-west-1.amazonaws.com"
        key = "AKIA..."
        secret = "..."

    @param path: the file.
    @param readFile: see L{parseArgument}.
    @return: C{(options, users)}: a C{dict} and a path or C{None}.
    @raise ValueError: when it cannot be read or is not valid (the message
        never quotes the file's values).
    """
    try:
        data = readFile(path) if readFile else _read(path)
    except OSError as e:
        raise ValueError(f"cannot read storage config {path!r}: {e.strerror}") from None
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        # RecursionError: nested deeper than the parser's recursion goes.
        raise ValueError(f"{path}: not a valid TOML file") from None
    unknown = sorted(set(document) - {"options", "users"})
    if unknown:
        raise ValueError(
            f"{path}: unknown key {unknown[0]!r} (known: options, users)")
    options = document.get("options", {})
    if not isinstance(options, dict):
        raise ValueError(f"{path}: options must be a table")
    users = document.get("users")
    if users is not None and (not isinstance(users, str) or not users):
        raise ValueError(f"{path}: users must be the path of a users file")
    return dict(options), users


def _read(path):
    """
    @return: the bytes of the file at C{path}, read without waiting on a
        FIFO or a device that never ends (L{readRegularFile}).
    @raise OSError: when it cannot be read or is no regular file.
    """
    return readRegularFile(path)


def filesystemClass(protocol):
    """
    Find the fsspec class serving a protocol.

    @param protocol: e.g. C{"s3"}.
    @return: the class.
    @raise ValueError: when fsspec, or the package for that protocol, is
        not installed (the message names what to install: ftpkit's extra,
        or the package fsspec's registry names), or the protocol is
        unknown.
    """
    extra = _EXTRAS.get(protocol)
    hint = f"pip install 'ftpkit[{extra}]'" if extra else "install its fsspec package"
    try:
        import fsspec
    except ImportError:
        # memory:// and file:// are fsspec's own: fsspec alone serves them.
        needed = hint if extra else "pip install fsspec"
        raise ValueError(f"the fsspec realm needs fsspec: {needed}") from None
    try:
        return fsspec.get_filesystem_class(protocol)
    except ImportError as e:
        # fsspec's registry names the package of each store it knows
        # ("Please install gcsfs to access Google Storage").
        said = " ".join(str(e).split())[:200]
        raise ValueError(f"{protocol}:// storage is not installed: "
                         f"{hint if extra or not said else said}") from None
    except ValueError:
        raise ValueError(f"unknown storage protocol {protocol!r}") from None


def resolve(config):
    """
    Work out what to build from a L{StorageConfig}.

    @param config: the L{StorageConfig}.
    @return: C{(cls, root, options)}: the fsspec class, the path on the
        filesystem served as C{/}, and every keyword argument to make it
        with (the URL's own, such as an SFTP host and port, under the
        config's).
    @raise ValueError: see L{filesystemClass}; also for an object store
        URL without a bucket, C{size=} for a store not in memory, or
        C{deadline=} for one not in L{DEADLINE_PROTOCOLS},
        C{asynchronous=true}, an option the
        store would not take
        (L{ftpkit.shells.storageoptions.unknownOption}), or a truth value
        or number that is not one, or out of its range
        (L{ftpkit.shells.storagebounds.checkedOptions}), here or in
        fsspec's own configuration
        (L{ftpkit.shells.storagebounds.configuredOptions}).
    """
    cls = filesystemClass(config.protocol)
    if "port" in knownOptions(config.protocol, cls):
        wrongPort = urlPortError(config.protocol, config.url)
        if wrongPort is not None:
            raise ValueError(wrongPort)
    if config.callDeadline is not None and not any(
            serves(cls, store) for store in DEADLINE_PROTOCOLS):
        raise ValueError(
            f"fsspec realm: deadline= bounds sftp:// and s3:// only, not"
            f" {config.protocol}://")
    if config.maxBytes is not None and not serves(cls, "memory"):
        # Asked of the class, as the fsspec realm asks it whether to
        # bound the store: an alias fsspec knows for memory:// was
        # refused size= by its name, and bound to the default.
        raise ValueError(f"fsspec realm: size= bounds memory:// only, not"
                         f" {config.protocol}:// (whose room is its own)")
    root = stripProtocol(cls, config.url)
    if isinstance(root, list):
        raise ValueError(f"the fsspec realm serves one URL, not {config.url!r}")
    options = urlOptions(cls, config.url)
    options.update(config.options)
    if truthValue(options.get("asynchronous", False)):
        raise ValueError(
            "fsspec realm: asynchronous=true cannot be used: ftpkit calls the"
            " store's synchronous methods from threads of its own")
    # A name the store does not take is told as such before its value
    # is judged by what the name means elsewhere (timeout=x on memory://).
    unknown = unknownOption(config.protocol, cls, options)
    if unknown is not None:
        raise ValueError(refusal(config.protocol, cls, unknown))
    options = checkedOptions(config.protocol, cls, options)
    from ftpkit.shells.fsspecbackends import OBJECT_STORE_PROTOCOLS

    if config.protocol in OBJECT_STORE_PROTOCOLS:
        if not root.strip("/"):
            raise ValueError(
                f"{config.protocol}:// needs a bucket: {config.protocol}://BUCKET[/PREFIX]")
        # Several servers (or other programs) may change the bucket: a
        # cached listing would show them stale contents.
        options.setdefault("use_listings_cache", False)
    if serves(cls, "sftp"):
        from ftpkit.compat.sftpconnect import boundedSFTP
        from ftpkit.shells.fsspecposix import SFTP_DEADLINE

        deadline = config.callDeadline or SFTP_DEADLINE
        for name in _SFTP_TIMEOUTS:
            options.setdefault(name, deadline)
        cls = boundedSFTP(cls, deadline)
    elif config.callDeadline is not None and serves(cls, "s3"):
        cls = boundS3Requests(cls, options, config.callDeadline)
    # Last, so that what ftpkit sets wins over fsspec's configuration, as
    # when fsspec added it.
    options.update(configuredOptions(config.protocol, cls, options))
    return cls, root, options


def boundS3Requests(cls, options, seconds):
    """
    Bound each S3 request by a deadline, where the options do not set its
    bounds already: botocore's C{connect_timeout} and C{read_timeout}
    (the longest a request waits for a connection, and then between two
    reads of its answer: the time without an answer, as on SFTP), and no
    retry, neither botocore's (C{total_max_attempts} 1) nor s3fs's
    (C{retries} 1): a request that got no answer, tried again, waited the
    deadline again, per try, and a C{SIZE} on a stalled store waited
    minutes. Each request is an HTTP request of its own, so one given up
    leaves nothing out of step for the next, which opens another
    connection: no connection is dropped, as on SFTP.

    Sending is bounded too (L{sendingWithin}), where the system can:
    botocore has no write timeout, and a request's body sent on a network
    that drops its packets waited for the system's TCP timeout.

    @param cls: s3fs's C{S3FileSystem}.
    @param options: its keyword arguments, changed in place.
    @param seconds: the deadline.
    @return: a subclass of C{cls} that tries each request once (s3fs
        takes its tries from the class, not from an argument).
    """
    botocore = dict(options.get("config_kwargs") or {})
    botocore.setdefault("connect_timeout", seconds)
    botocore.setdefault("read_timeout", seconds)
    botocore.setdefault("retries", {"total_max_attempts": 1})
    factory = sendingWithin(seconds)
    if factory is not None:
        connector = dict(botocore.get("connector_args") or {})
        connector.setdefault("socket_factory", factory)
        botocore["connector_args"] = connector
    options["config_kwargs"] = botocore
    return type(cls.__name__, (cls,), {"retries": 1,
                                       "__module__": cls.__module__})


def sendingWithin(seconds):
    """
    Make the sockets of S3 requests give up on what they sent once it
    goes unacknowledged that long (Linux's C{TCP_USER_TIMEOUT}): a
    request's body that the store's side stops taking (a network that
    drops packets, or a peer that keeps its window closed) fails the
    request with C{ETIMEDOUT} after the deadline, its connection closed
    by the system, instead of after the TCP retransmission timeout (some
    15 minutes), or never against a closed window. Like the read timeout
    it bounds the time without an answer, not the whole request: an
    upload that keeps moving, however slowly, goes on.

    @param seconds: the deadline.
    @return: a C{socket_factory} for aiobotocore's C{connector_args}
        (aiohttp's C{TCPConnector}), or C{None} where the system or
        aiobotocore has none (then sending is bounded by the system
        alone).
    """
    import socket

    option = getattr(socket, "TCP_USER_TIMEOUT", None)
    if option is None or not _takesSocketFactory():
        return None

    def userTimeoutSocket(addressInfo):
        family, kind, protocol, _, _ = addressInfo
        made = socket.socket(family=family, type=kind, proto=protocol)
        made.setsockopt(socket.IPPROTO_TCP, option, seconds * 1000)
        return made

    return userTimeoutSocket


def _takesSocketFactory():
    """
    @return: whether the installed aiobotocore takes a C{socket_factory}
        in C{connector_args} (1.x does not, and refuses it).
    """
    try:
        from aiobotocore.config import AioConfig
        from botocore.exceptions import ParamValidationError
    except ImportError:
        return False
    try:
        AioConfig(connector_args={"socket_factory": None})
    except (ParamValidationError, TypeError):
        return False
    return True
