"""
Which options an fsspec store takes, so that C{--realm fsspec:URL} checks
them at start: a name the store would not take (a misspelt one) stops the
server with a one-line usage error. Handed on, it was refused at each
request by the library it reached (botocore's session, paramiko's
C{connect}, aiohttp's request: every command got C{451}), or silently
ignored by fsspec (C{memory://}, C{file://}, C{ftp://}...).

A store takes the parameters of its class's C{__init__} and of those it
inherits (its C{**kwargs} go up to fsspec's C{AbstractFileSystem}), the
options fsspec takes for any store (L{FSSPEC_OPTIONS}), and, for the
stores that hand their other options to a library, what that library
takes (L{handedOn}).
"""

import inspect

FSSPEC_OPTIONS = frozenset({
    "use_listings_cache", "listings_expiry_time", "max_paths",
    "skip_instance_cache"})
"""The options fsspec itself takes for any filesystem."""

FSSPEC_KINDS = {"use_listings_cache": bool, "skip_instance_cache": bool,
                "max_paths": int}
"""What the values of L{FSSPEC_OPTIONS} are, where it is one kind."""

TEXT_OPTIONS = frozenset({
    "host", "username", "password", "passphrase", "key_filename",
    "gss_host", "acct", "tempdir", "temppath", "key", "secret", "token",
    "profile", "endpoint_url", "region_name"})
"""Options the stores take as a text whose default (C{None}) does not
say so: a host, a user's name, a key file, a profile or region. Written
as digits (C{username=1000}), they stay a text: made an C{int}, paramiko
failed every login (C{object of type 'int' has no len()})."""

_REFUSERS = {"s3": "s3fs and botocore's session do not know it",
             "sftp": "the SFTP filesystem and paramiko do not know it",
             "http": "fsspec's HTTP filesystem and aiohttp's requests do"
                     " not know it"}
"""Who would refuse a name, by the protocol family of L{_FAMILIES}."""

_SFTP_OPTIONS = frozenset({"temppath", "host_key_policy"})
"""What fsspec's SFTP filesystem documents and takes from its
C{**ssh_kwargs} before handing the others to paramiko."""

_FAMILIES = {"s3": "s3", "s3a": "s3", "sftp": "sftp", "ssh": "sftp",
             "http": "http", "https": "http"}
"""The protocols whose store hands its other options to a library."""


def familyOf(protocol, cls):
    """
    @param protocol: a URL's protocol.
    @param cls: the fsspec class serving it.
    @return: the family (L{_FAMILIES}) of the protocol, or else of the
        first of the class's own protocol names that has one (an alias
        fsspec knows for SFTP hands its options to paramiko as C{sftp://}
        does), or C{None}.
    """
    names = getattr(cls, "protocol", ())
    names = (names,) if isinstance(names, str) else tuple(names)
    for name in (protocol, *names):
        if name in _FAMILIES:
            return _FAMILIES[name]
    return None


def namedParameters(function):
    """
    @param function: a callable.
    @return: the names of its parameters that may be given by name (not
        C{self}, C{*args} or C{**kwargs}).
    """
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return set()
    return {name for name, parameter in parameters.items()
            if name != "self" and parameter.kind in (
                parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)}


def _initializers(protocol, cls):
    """
    @param protocol: a URL's protocol.
    @param cls: the fsspec class serving it.
    @return: the C{__init__} of C{cls} and of every class it inherits,
        then the callables its store hands its other options to
        (L{handedOn}).
    """
    found = [vars(klass)["__init__"] for klass in cls.__mro__
             if klass is not object and "__init__" in vars(klass)]
    family = familyOf(protocol, cls)
    if family == "s3":
        from aiobotocore.session import AioSession

        found.append(AioSession.__init__)
    elif family == "sftp":
        import paramiko

        found.append(paramiko.SSHClient.connect)
    return found


def optionKinds(protocol, cls):
    """
    @param protocol: a URL's protocol.
    @param cls: the fsspec class serving it.
    @return: C{{name: bool, int or str}} for each option its store
        takes whose default says it is a truth value, a number or a text
        (the first C{__init__} naming it, its own before those it
        inherits, wins), and C{str} for the L{TEXT_OPTIONS} no default
        tells.
    """
    kinds = dict(FSSPEC_KINDS)
    for function in reversed(_initializers(protocol, cls)):
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            continue
        for name, parameter in parameters.items():
            default = parameter.default
            if isinstance(default, bool):
                kinds[name] = bool
            elif isinstance(default, int):
                kinds[name] = int
            elif isinstance(default, str):
                kinds[name] = str
    for name in TEXT_OPTIONS:
        kinds.setdefault(name, str)
    return kinds


def classOptions(cls):
    """
    @param cls: an fsspec filesystem class.
    @return: the names of the parameters of its C{__init__} and of every
        C{__init__} it inherits.
    """
    names = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is not None and klass is not object:
            names |= namedParameters(init)
    return names


def handedOn(protocol, cls=None):
    """
    @param protocol: a URL's protocol.
    @param cls: the fsspec class serving it, or C{None} to go by the
        protocol's name alone.
    @return: the names of the options its store hands to a library:
        botocore's session for S3 (s3fs), paramiko's C{connect} for SFTP
        (less C{hostname}, which the SFTP filesystem calls C{host}; with
        the two it documents and keeps, L{_SFTP_OPTIONS}),
        aiohttp's request for HTTP; none for the other stores.
    """
    family = familyOf(protocol, cls)
    if family == "s3":
        from aiobotocore.session import AioSession

        return namedParameters(AioSession.__init__)
    if family == "sftp":
        import paramiko

        return ((namedParameters(paramiko.SSHClient.connect) - {"hostname"})
                | _SFTP_OPTIONS)
    if family == "http":
        from ftpkit.compat.fsspecnames import requestOptions

        return set(requestOptions())
    return set()


def knownOptions(protocol, cls):
    """
    @param protocol: a URL's protocol.
    @param cls: the fsspec class serving it.
    @return: the names of the options its store takes.
    """
    return classOptions(cls) | FSSPEC_OPTIONS | handedOn(protocol, cls)


def unknownOption(protocol, cls, options):
    """
    @param protocol: a URL's protocol.
    @param cls: the fsspec class serving it.
    @param options: the keyword arguments it is to be made with.
    @return: the first (sorted) name it would not take, or C{None}.
    """
    unknown = sorted(set(options) - knownOptions(protocol, cls))
    return unknown[0] if unknown else None


def refusal(protocol, cls, name):
    """
    @param protocol: a URL's protocol.
    @param cls: the fsspec class serving it.
    @param name: an option it would not take.
    @return: the one-line usage error saying so.
    """
    refuser = _REFUSERS.get(familyOf(protocol, cls))
    if refuser is None:
        owner = cls.__module__.partition(".")[0]
        refuser = f"{owner}'s {cls.__name__} does not know it"
    return f"{protocol}:// takes no option {name!r} ({refuser}: misspelt?)"
