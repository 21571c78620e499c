"""
The values a store's options may take (C{--realm fsspec:URL?NAME=VALUE}
and the config file's C{[options]}), checked at start: a truth value in
the spellings of L{ftpkit.protocol.truthtext}, and a number in its
range. Before, a value of the right kind was handed on whatever it was:
C{sftp://...?port=99999} or C{port=0}, C{timeout=-5}, S3's
C{max_concurrency=0} or C{default_block_size=1K} started a server whose
every login (or every upload) then failed, and C{timeout=1.5}, a text
no number option took, reached paramiko as a text.

An option's kind comes from the default of the store's parameter naming
it (L{ftpkit.shells.storageoptions.optionKinds}), and for the options
whose default says nothing (C{None}: paramiko's timeouts, fsspec's
C{listings_expiry_time}) from L{BOUNDS}, which also gives the ranges.
"""

import os
from typing import NamedTuple
from urllib.parse import urlsplit

from ftpkit.protocol.numbertext import decimalFraction, isWholeNumber
from ftpkit.protocol.truthtext import SPELLINGS, truthValue
from ftpkit.shells.storageoptions import familyOf, optionKinds

MOST_SECONDS = 31536000
"""The longest timeout or expiry a store's option may give (a year, as
the server's own timeouts)."""

MOST_COUNT = 1 << 31
"""The largest count (of requests at once, of cached paths)."""


class Bound(NamedTuple):
    """
    The values one option may take.

    @ivar kind: C{"whole"} (an C{int}), C{"seconds"} (a number of
        seconds, a fraction allowed) or C{"bytes"} (digits with an
        optional K, M, G or T suffix, as C{--max-upload-size} takes).
    @ivar least: the smallest value.
    @ivar most: the largest value.
    @ivar above: whether C{least} itself is refused (a timeout of 0).
    @ivar what: the values, for a usage error.
    """

    kind: str
    least: int
    most: int
    above: bool
    what: str


_PORT = Bound("whole", 1, 65535, False, "a port from 1 to 65535")
_TIMEOUT = Bound("seconds", 0, MOST_SECONDS, True,
                 f"seconds, more than 0 and at most {MOST_SECONDS}")

BOUNDS = {
    "port": _PORT,
    "timeout": _TIMEOUT,
    "banner_timeout": _TIMEOUT,
    "auth_timeout": _TIMEOUT,
    "channel_timeout": _TIMEOUT,
    "listings_expiry_time": Bound("seconds", 0, MOST_SECONDS, False,
                                  f"seconds from 0 to {MOST_SECONDS}"),
    "max_paths": Bound("whole", 0, MOST_COUNT, False,
                       f"a whole number from 0 to {MOST_COUNT}"),
    "max_concurrency": Bound("whole", 1, MOST_COUNT, False,
                             f"a whole number from 1 to {MOST_COUNT}"),
    "batch_size": Bound("whole", 1, MOST_COUNT, False,
                        f"a whole number from 1 to {MOST_COUNT}"),
}
"""The ranges of the options any store may take by these names: a port
to connect to (C{0} and past 65535 are none), paramiko's and fsspec's
FTP timeouts (C{0} or less made every connection fail at once), fsspec's
listings cache, the requests an asynchronous store (S3) sends at once
(C{0} refused by s3fs, or an empty range of batches)."""

S3_BOUNDS = {"default_block_size": Bound(
    "bytes", 5 << 20, 5 << 30, False, "bytes from 5M to 5G")}
"""The ranges of S3's own options: a part of a multipart upload is 5 MiB
to 5 GiB (s3fs refused a smaller block size at each upload's open)."""


def boundOf(protocol, name):
    """
    @param protocol: a URL's protocol.
    @param name: an option's name.
    @return: the L{Bound} of its values, or C{None}.
    """
    if protocol in ("s3", "s3a") and name in S3_BOUNDS:
        return S3_BOUNDS[name]
    return BOUNDS.get(name)


def boundedValue(bound, value):
    """
    @param bound: a L{Bound}.
    @param value: an option's value: a text as the query or fsspec's
        configuration wrote it, or what the config file gave.
    @return: it as a number within C{bound} (an C{int} where whole, a
        C{float} for a fraction of a second), or C{None} when it is
        none.
    """
    if isinstance(value, bool):
        return None
    if bound.kind == "bytes":
        from ftpkit.deploy.limitoptions import parseByteCount

        try:
            number = parseByteCount(value, least=0)
        except ValueError:
            return None
    elif isinstance(value, str):
        number = _readNumber(bound, value)
    elif isinstance(value, int) or (
            bound.kind == "seconds" and isinstance(value, float)):
        number = value
    else:
        number = None
    if number is None or not bound.least <= number <= bound.most or (
            bound.above and number == bound.least):
        return None
    return number


def _readNumber(bound, text):
    """
    @param bound: a L{Bound} of kind C{"whole"} or C{"seconds"}.
    @param text: a value as written (ASCII digits, a decimal point for
        seconds).
    @return: its number, or C{None}.
    """
    if bound.kind == "whole":
        return int(text) if isWholeNumber(text) and len(text) < 20 else None
    try:
        fraction = decimalFraction(text)
    except ValueError:
        return None
    return int(fraction) if fraction.denominator == 1 else float(fraction)


def checkedOptions(protocol, cls, options):
    """
    @param protocol: a URL's protocol.
    @param cls: the fsspec class serving it.
    @param options: the keyword arguments it is to be made with.
    @return: a copy of C{options} whose truth values are C{bool}, whose
        bounded numbers (L{boundOf}) are numbers, whose texts
        (L{ftpkit.shells.storageoptions.TEXT_OPTIONS}, a text default)
        are texts, and whose other values written as a text are read as
        L{optionValue} reads them.
    @raise ValueError: with the one-line usage error for the first
        (sorted) option whose value is none of its kind or out of its
        range.
    """
    kinds = optionKinds(protocol, cls)
    checked = dict(options)
    for name in sorted(options):
        value, bound = options[name], boundOf(protocol, name)
        shown = f"{protocol}:// option {name}={str(value)[:40]!r}"
        if kinds.get(name) is str:
            checked[name] = textValue(value)
        elif isinstance(value, str) and bound is None and (
                kinds.get(name) is not bool):
            checked[name] = value = optionValue(value)
        if kinds.get(name) is bool:
            checked[name] = truthValue(value)
            if checked[name] is None:
                raise ValueError(f"{shown}: must be {SPELLINGS}")
        elif bound is not None:
            checked[name] = boundedValue(bound, value)
            if checked[name] is None:
                raise ValueError(f"{shown}: must be {bound.what}")
        elif kinds.get(name) is int and (
                isinstance(value, bool)
                or not isinstance(value, (int, float))):
            raise ValueError(f"{shown}: must be a number (ASCII digits)")
        why = shapeError(familyOf(protocol, cls), name, value)
        if why is not None:
            raise ValueError(f"{shown}: {why}")
    return checked


def optionValue(text):
    """
    @param text: the value of an option of no text kind, as written (in
        the query, fsspec's configuration or a quoted value of the config
        file).
    @return: C{True}/C{False} for C{true}/C{false}, an C{int} for a whole
        number (ASCII digits: a superscript two, which Python calls a
        digit, was a C{ValueError} from C{int}), the text otherwise.
    """
    if text.lower() in ("true", "false"):
        return truthValue(text)
    if isWholeNumber(text):
        return int(text)
    return text


def textValue(value):
    """
    @param value: the value of an option the store takes as a text.
    @return: it, or the digits of a whole number (the config file's
        C{username = 1000}).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def shapeError(family, name, value):
    """
    What the store would refuse of some options once a login made it, or
    a file was opened, asked at start: every login failed (S3's
    C{endpoint_url=notaurl}: botocore's C{Invalid endpoint}; an SFTP
    C{key_filename} that is not there; a C{config_kwargs} that is no
    table; FTP's C{encoding=bogus}), or every download
    (C{default_cache_type=bogus}).

    @param family: the store's family (L{familyOf}), or C{None}.
    @param name: an option's name.
    @param value: its value.
    @return: why the value is none the store takes, or C{None}.
    """
    if name.endswith("_kwargs") and not isinstance(value, dict):
        return f"must be a table of the config file ([options.{name}])"
    if name in ("cache_type", "default_cache_type"):
        from fsspec.caching import caches

        if value not in caches:
            return f"must be one of {', '.join(map(str, filter(None, caches)))}"
    if name == "encoding" and not _isCodec(value):
        return "must be a text encoding Python knows (utf-8, latin-1...)"
    if family == "s3" and name == "endpoint_url":
        from botocore.utils import (
            is_valid_endpoint_url,
            is_valid_ipv6_endpoint_url,
        )

        try:
            valid = isinstance(value, str) and (
                is_valid_endpoint_url(value)
                or is_valid_ipv6_endpoint_url(value))
        except ValueError:
            # Python's urlsplit: an unclosed IPv6 literal (http://[::1:9).
            valid = False
        if not valid:
            return "must be an http:// or https:// URL"
    if family == "sftp" and name == "key_filename":
        paths = [value] if isinstance(value, str) else value
        if not isinstance(paths, list) or not all(
                isinstance(path, str) and os.path.isfile(path)
                for path in paths):
            return "must name a key file, or a list of them, that exists"
    return None


def urlPortError(protocol, url):
    """
    fsspec read a URL's port with Python's C{urlsplit}, which refused one
    past 65535 saying only C{Port out of range 0-65535}, and dropped a
    port of C{0} (C{sftp://h:0/x} connected to port 22).

    @param protocol: the URL's protocol.
    @param url: a URL of a store that takes a C{port}.
    @return: the one-line usage error for a port the URL names that is
        not one from 1 to 65535 (an empty one, C{h:}, is the store's
        default), or C{None}.
    """
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return None
    port = netloc.rpartition("@")[2].rpartition("]")[2].partition(":")[2]
    if port and boundedValue(_PORT, port) is None:
        return (f"{protocol}:// URL port {port[:40]!r}: must be"
                f" {_PORT.what}")
    return None


def _isCodec(value):
    """
    @param value: an option's value.
    @return: whether it names a text encoding Python has.
    """
    import codecs

    try:
        return isinstance(value, str) and codecs.lookup(value) is not None
    except LookupError:
        return False


def configuredOptions(protocol, cls, options):
    """
    Check what fsspec's own configuration (the C{FSSPEC_<PROTOCOL>_<NAME>}
    environment variables, C{~/.config/fsspec/*.json}) gives the store
    where the options do not: fsspec adds it as it makes the store, so
    C{FSSPEC_SFTP_PORT=99999} failed every login as C{port=99999} did,
    and C{FSSPEC_S3_ANON=off} was handed on as a text, which s3fs took as
    true.

    @param protocol: a URL's protocol.
    @param cls: the fsspec class serving it.
    @param options: the keyword arguments it is to be made with (which
        win over the configuration).
    @return: what the configuration adds to them, its truth values and
        numbers read as L{checkedOptions} reads them (given to the store
        with the options, they are what fsspec would have added).
    @raise ValueError: with the one-line usage error for the first value
        L{checkedOptions} refuses, saying where it came from.
    """
    from fsspec.config import apply_config

    configured = {name: value for name, value in apply_config(cls, {}).items()
                  if name not in options}
    try:
        return checkedOptions(protocol, cls, configured)
    except ValueError as e:
        raise ValueError(
            f"{e} (given by fsspec's configuration: an FSSPEC_"
            f"{protocol.upper()}_... variable or ~/.config/fsspec)") from None
