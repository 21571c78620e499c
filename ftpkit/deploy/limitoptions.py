"""
The transfer limits of C{twistd ftpkit}: bandwidth per session and for the
whole server, and the largest upload (L{TransferLimitsOptionsMixin},
L{transferLimitsConfigFields}), and L{parseByteCount}, which reads their
values (and the users file's).
"""

import re

from ftpkit.configvalues import MOST_BYTES, byteCount  # noqa: F401 (importable here)
from ftpkit.deploy.optionvalues import checkValues
from ftpkit.protocol.numbertext import decimalFraction
from ftpkit.shells.keptregistry import MAX_KEPT_PER_USER

_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_BYTE_COUNT = re.compile(r"(.*?)([KMGT]?)(?:i?B)?", re.IGNORECASE | re.DOTALL)


def parseByteCount(text, least=1):
    """
    Read a number of bytes (or bytes a second): digits, optionally with a
    K, M, G or T suffix (powers of 1024), as C{512}, C{64K}, C{1.5M},
    C{2G}, C{1T}
    (L{decimalFraction}: ASCII digits, no sign, no space).
    The server's options, the users file's rates and the user commands'
    C{--quota} (L{ftpkit.auth.passwd}, L{ftpkit.auth.pgadmin}) all read
    sizes with it.

    @param text: the value, C{str} (or an C{int}, taken as it is).
    @param least: the smallest count allowed (a quota may be 0).
    @return: the count, an C{int} from C{least} to L{MOST_BYTES}
        (L{byteCount}).
    @raise ValueError: saying why C{text} is not one.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        number, suffix = _BYTE_COUNT.fullmatch(str(text)).groups()
        try:
            value = int(decimalFraction(number) * _SUFFIXES[suffix.upper()])
        except ValueError:
            raise ValueError(
                f"must be a number of bytes with an optional K, M, G or T "
                f"suffix (like 512K), not {text!r}") from None
    return byteCount(value, least, repr(text))


def partialsPerUser(options):
    """
    @param options: the parsed L{ftpkit.deploy.tap.Options}, or a
        C{dict} of options a realm plugin was given.
    @return: C{--max-partials-per-user}, or
        L{ftpkit.shells.keptregistry.MAX_KEPT_PER_USER} where the options
        do not give it.
    """
    given = options.get("max-partials-per-user")
    return MAX_KEPT_PER_USER if given is None else given


class TransferLimitsOptionsMixin:
    """
    The bandwidth and upload size options, for a L{usage.Options}
    subclass.
    """

    optParameters = [
        ["max-download-rate", None, None,
         ("RATE in bytes a second (K, M, G, T suffixes: 500K) at which one "
          "session downloads, listings included [default: no limit].")],
        ["max-upload-rate", None, None,
         "RATE at which one session uploads [default: no limit]."],
        ["max-total-rate", None, None,
         ("RATE at which the whole server (each process under --workers) "
          "sends, and at which it receives, all sessions together "
          "[default: no limit].")],
        ["max-upload-size", None, None,
         ("SIZE (K, M, G, T suffixes) one upload may bring; past it the "
          "upload gets 552 and nothing is kept [default: no limit].")],
        ["max-partials-per-user", None, str(MAX_KEPT_PER_USER),
         ("Cut uploads kept hidden for one user to resume, on every realm "
          "that keeps them; keeping one more drops that user's oldest "
          "(each process of --workers counts its own).")],
    ]


def transferLimitsConfigFields(options):
    """
    Check the transfer limit options.

    @param options: parsed options of a class mixing in
        L{TransferLimitsOptionsMixin}.
    @return: a C{dict} with C{maxDownloadRate}, C{maxUploadRate},
        C{maxTotalRate} and C{maxUploadSize} for the
        L{ftpkit.config.ServerConfig}.
    @raise usage.UsageError: with one line naming the option at fault.
    """
    fields = {"max-download-rate": "maxDownloadRate",
              "max-upload-rate": "maxUploadRate",
              "max-total-rate": "maxTotalRate",
              "max-upload-size": "maxUploadSize"}
    values = checkValues(options, dict.fromkeys(fields, parseByteCount))
    return {field: values[name] for name, field in fields.items()}
