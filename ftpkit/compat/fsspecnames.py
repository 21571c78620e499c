"""
The private names of fsspec and of its filesystems that the fsspec realm
(C{--realm fsspec:URL}) reads, each behind a function with a fallback
that keeps the realm working when a release renames it. fsspec itself is
imported only when one is called: it is an optional dependency.

    - C{AbstractFileSystem._strip_protocol} (a class method): the path a
      filesystem uses for a URL or path (C{memory://a/} is C{/a}, a local
      path made absolute). Fallback: fsspec's public C{strip_protocol}
      (L{fsspec.core.strip_protocol}), given the path with the
      filesystem's protocol (L{unstrip_protocol}) in front.
    - C{AbstractFileSystem._get_kwargs_from_urls} (a static method): the
      options a URL carries (an SFTP URL's host, port and user; an
      IPv6 literal host read here, L{literalHost}). Fallback: those
      L{fsspec.utils.infer_storage_options} reads from the URL, for a
      filesystem made with a C{host}; none for another.
    - C{S3FileSystem._iterdir} (s3fs): a bucket's keys a page at a time.
      Fallback: none, and listings are read whole, as from a store
      without it.
    - C{SFTPFileSystem._connect}: open the SSH connection again.
      Fallback: none, and a connection the server dropped stays broken
      (its commands fail) until ftpkit restarts.
    - C{SFTPFileSystem._decode_stat} (a static method): an SFTP
      server's attributes of a path as fsspec's entry (name, size, type,
      owner, times). Fallback: the same entry made here
      (L{decodedPublicly}).
    - C{aiohttp.ClientSession._request}: the options of one HTTP request,
      which fsspec's HTTP filesystem hands each of its requests.
      Fallback: those aiohttp's reference documents
      (L{AIOHTTP_REQUEST_OPTIONS}).

C{tests/integration/test_compat_fsspec.py} checks each against the
installed fsspec and s3fs and fails loudly, naming the name, when one
changed.
"""

import datetime
import stat as statModule


def stripProtocol(fs, path):
    """
    @param fs: an fsspec filesystem, or its class (then C{path} is a URL
        with its protocol).
    @param path: a URL, or a path on C{fs}.
    @return: the path C{fs} uses for C{path}, or a list of them for a
        URL naming several (a glob or C{::} chain, from a class).
    """
    strip = getattr(fs, "_strip_protocol", None)
    if callable(strip):
        return strip(path)
    return strippedPublicly(fs, path)


def strippedPublicly(fs, path):
    """
    L{stripProtocol}'s fallback, through fsspec's public names only.

    @param fs: see L{stripProtocol}.
    @param path: see L{stripProtocol}.
    @return: see L{stripProtocol}.
    """
    from fsspec.core import strip_protocol

    if not isinstance(fs, type):
        path = fs.unstrip_protocol(path)
    return strip_protocol(path)


def urlOptions(cls, url):
    """
    @param cls: an fsspec filesystem class.
    @param url: a URL of that filesystem.
    @return: a C{dict} of the keyword arguments to make C{cls} with that
        C{url} carries.
    """
    found = getattr(cls, "_get_kwargs_from_urls", None)
    options = dict(found(url)) if callable(found) else optionsPublicly(
        cls, url)
    literal = literalHost(url)
    if literal is not None and "host" in options:
        options["host"] = literal
    return options


def literalHost(url):
    """
    The address a URL's IPv6 literal names: fsspec kept a host's brackets
    (C{sftp://u@[::1]:22/d} gave C{host='[::1]'}, which every login then
    failed to resolve: C{gaierror: Name or service not known}), and, with
    no port, cut the address at its last colon (C{[:}).

    @param url: a URL.
    @return: the address within the brackets of its host, a zone's
        C{%25} read as the C{%} the resolver takes (C{fe80::1%eth0}), or
        C{None} when its host is no bracketed literal.
    """
    from urllib.parse import unquote, urlsplit

    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return None
    host = netloc.rpartition("@")[2]
    if not host.startswith("[") or "]" not in host:
        return None
    return unquote(host[1:host.index("]")])


def optionsPublicly(cls, url):
    """
    L{urlOptions}'s fallback: the host, port, user and password of the
    URL, for a filesystem made with a C{host} (SFTP, FTP, SMB...); none
    for another (an object store's URL names a bucket where a host
    would be).

    @param cls: see L{urlOptions}.
    @param url: see L{urlOptions}.
    @return: see L{urlOptions}.
    """
    import inspect

    from fsspec.utils import infer_storage_options

    try:
        parameters = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return {}
    if "host" not in parameters:
        return {}
    inferred = infer_storage_options(url)
    return {name: inferred[name]
            for name in ("host", "port", "username", "password")
            if inferred.get(name) is not None}


def keyPages(fs):
    """
    @param fs: an fsspec filesystem.
    @return: s3fs's C{_iterdir(bucket, prefix=...)}, an asynchronous
        iterator of a bucket's entries read a page at a time, or C{None}
        when C{fs} has none.
    """
    pages = getattr(fs, "_iterdir", None)
    return pages if callable(pages) else None


def reconnect(fs):
    """
    Open an SFTP filesystem's SSH connection again (blocking).

    @param fs: fsspec's C{SFTPFileSystem}.
    @return: whether it could be asked to.
    """
    connect = getattr(fs, "_connect", None)
    if not callable(connect):
        return False
    connect()
    return True


def decodeStat(fs, attributes):
    """
    @param fs: fsspec's C{SFTPFileSystem}.
    @param attributes: what its C{ftp.stat} or C{ftp.lstat} gave (a
        paramiko C{SFTPAttributes}).
    @return: the entry fsspec's C{info} would make of them, C{name}
        empty.
    """
    decode = getattr(fs, "_decode_stat", None)
    if callable(decode):
        return decode(attributes)
    return decodedPublicly(attributes)


def decodedPublicly(attributes):
    """
    L{decodeStat}'s fallback, made here.

    @param attributes: see L{decodeStat}.
    @return: see L{decodeStat}.
    """
    mode = attributes.st_mode
    if statModule.S_ISDIR(mode):
        kind = "directory"
    elif statModule.S_ISLNK(mode):
        kind = "link"
    else:
        kind = "file"

    def when(seconds):
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)

    return {"name": "", "size": attributes.st_size, "type": kind,
            "uid": attributes.st_uid, "gid": attributes.st_gid,
            "time": when(attributes.st_atime),
            "mtime": when(attributes.st_mtime)}


AIOHTTP_REQUEST_OPTIONS = frozenset({
    "params", "data", "json", "cookies", "headers", "skip_auto_headers",
    "auth", "allow_redirects", "max_redirects", "compress", "chunked",
    "expect100", "raise_for_status", "read_until_eof", "proxy",
    "proxy_auth", "timeout", "verify_ssl", "fingerprint", "ssl_context",
    "ssl", "server_hostname", "proxy_headers", "trace_request_ctx",
    "read_bufsize", "auto_decompress", "max_line_size", "max_field_size"})
"""The keyword arguments of C{aiohttp.ClientSession.request} aiohttp's
reference documents: L{requestOptions}' fallback."""


def requestOptions():
    """
    The options fsspec's HTTP filesystem hands each of its requests (every
    keyword argument it has no parameter for): the named parameters of
    aiohttp's C{ClientSession._request}, which the public C{request} and
    C{get} take as C{**kwargs}.

    @return: their names; without C{_request}, or without aiohttp,
        L{AIOHTTP_REQUEST_OPTIONS}.
    """
    import inspect

    try:
        from aiohttp import ClientSession
    except ImportError:
        return AIOHTTP_REQUEST_OPTIONS
    request = getattr(ClientSession, "_request", None)
    if not callable(request):
        return AIOHTTP_REQUEST_OPTIONS
    return frozenset(
        name for name, parameter in inspect.signature(request).parameters.items()
        if parameter.kind == parameter.KEYWORD_ONLY)
