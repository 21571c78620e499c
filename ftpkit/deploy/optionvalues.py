"""
The values of command-line options: one function per kind of value,
taking the option's text and giving the value or raising L{ValueError}
saying why the text is not one (no Twisted in them), and L{checkValues},
which turns that error into the usage error naming the option. Their
numbers are read by L{ftpkit.protocol.numbertext}: ASCII digits only.
What a value must be, once read, is L{ftpkit.configvalues}' rule, which
the L{ftpkit.config.ServerConfig} checks too.
"""

import ipaddress
import os

from twisted.python import usage

from ftpkit.configvalues import (  # noqa: F401 (importable from here)
    MOST_REPLY_TEXT,
    nonNegativeSeconds,
    passivePortRange,
    positiveCount,
    positiveSeconds,
    replyText,
)
from ftpkit.deploy.keptfiles import keptContent
from ftpkit.deploy.startdirectory import fromStart
from ftpkit.protocol.numbertext import decimalNumber, isWholeNumber, wholeNumber


def checkValues(options, checks):
    """
    Convert the values of the options named in C{checks}.

    @param options: the parsed options (a mapping from an option's name
        to its text, or C{None} when not given).
    @param checks: a mapping from an option's name to the function that
        converts its text (see this module's functions).
    @return: a C{dict} from each name in C{checks} to its converted value,
        or C{None} for an option not given.
    @raise usage.UsageError: C{"--NAME: why"} for the first option whose
        text is bad.
    """
    values = {}
    for name, check in checks.items():
        value = options.get(name)
        if value is not None:
            try:
                value = check(value)
            except ValueError as e:
                raise usage.UsageError(f"--{name}: {e}")
        values[name] = value
    return values


def positiveInteger(text):
    """
    @param text: an option value.
    @return: C{text} as an C{int} of at least 1 (L{positiveCount}).
    @raise ValueError: saying why otherwise.
    """
    try:
        value = wholeNumber(text)
    except ValueError:
        raise ValueError(f"must be a positive integer, not {text!r}")
    return positiveCount(value, repr(text))


WORKERS_PER_CPU = 4
"""How many C{--workers} a CPU may have at most (L{workerCount})."""


def workerCount(text, cpus=None):
    """
    A number of worker processes: a positive integer, at most
    L{WORKERS_PER_CPU} times the machine's CPUs. A worker is a whole
    server process (some 50 MB resident before its first session) whose
    work runs on one core, so more workers than a few a core add memory
    and context switches, never throughput; a typo such as C{--workers
    1000} is refused instead of forking until memory runs out.

    @param text: an option value.
    @param cpus: the number of CPUs (C{os.cpu_count()} when C{None}).
    @return: C{text} as an C{int}.
    @raise ValueError: saying why otherwise.
    """
    value = positiveInteger(text)
    if cpus is None:
        cpus = os.cpu_count() or 1
    most = WORKERS_PER_CPU * cpus
    if value > most:
        raise ValueError(
            f"at most {most} ({WORKERS_PER_CPU} per CPU, {cpus} CPUs), "
            f"not {value}: a worker is a whole process serving on one core")
    return value


MOST_SECONDS = 365 * 24 * 60 * 60
"""The longest timeout or grace an option takes, a year: no session or
transfer is meant to wait longer; C{--idle-timeout 99999999999} (over
3,000 years) was taken, and its log lines showed C{1e+11}."""


def secondsNumber(text):
    """
    Read seconds (C{--idle-timeout}, C{--shutdown-grace}...): ASCII
    digits, with a fraction or not, and a leading C{-} read apart, so
    that the caller says what is wrong with C{"-1"}.

    @param text: an option value.
    @return: C{text} as a C{float} of at most L{MOST_SECONDS}, below 0
        when it starts with C{-} (C{"-0"} too).
    @raise ValueError: when C{text} is no such number (C{"1e3"},
        C{"inf"}: the message says what is taken), or one over a year.
    """
    try:
        value = decimalNumber(text.removeprefix("-"))
    except ValueError:
        raise ValueError(f"must be a number of seconds, like 30 or 2.5, "
                         f"not {text!r}")
    if text.startswith("-"):
        return -min(value, MOST_SECONDS) if value else -1.0
    if value > MOST_SECONDS:
        raise ValueError(f"must be at most {MOST_SECONDS} seconds (a "
                         f"year), not {text!r}")
    return value


def positiveNumber(text):
    """
    @param text: an option value.
    @return: C{text} as a C{float} greater than 0 and at most
        L{MOST_SECONDS} (L{secondsNumber}, L{positiveSeconds}).
    @raise ValueError: saying why otherwise.
    """
    return positiveSeconds(secondsNumber(text), repr(text))


def timeoutSeconds(text):
    """
    A timeout of the sessions (C{--idle-timeout}, C{--login-timeout},
    C{--data-timeout}): at least a second. A shorter one, such as
    C{0.001}, started a server that cut every session, login or transfer
    before a client could answer.

    @param text: an option value.
    @return: C{text} as a finite C{float} of at least 1.
    @raise ValueError: saying why otherwise.
    """
    value = positiveNumber(text)
    if value < 1:
        raise ValueError(f"must be at least 1 second, not {text!r}: a "
                         "shorter timeout cuts clients before they can "
                         "answer")
    return value


def nonNegativeNumber(text):
    """
    @param text: an option value.
    @return: C{text} as a C{float} of at least 0 and at most
        L{MOST_SECONDS} (L{secondsNumber}, L{nonNegativeSeconds}).
    @raise ValueError: saying why otherwise.
    """
    return nonNegativeSeconds(secondsNumber(text), repr(text))


def portRange(text):
    """
    @param text: C{"LOW-HIGH"}, both ports inclusive.
    @return: C{(low, high)} with C{1024 <= low <= high <= 65535}
        (L{passivePortRange}).
    @raise ValueError: saying why otherwise.
    """
    low, sep, high = text.partition("-")
    try:
        if not sep:
            raise ValueError()
        bounds = (wholeNumber(low), wholeNumber(high))
    except ValueError:
        raise ValueError(f"must be LOW-HIGH, like 60000-60100, not {text!r}")
    return passivePortRange(bounds, repr(text))


def ipv4Address(text):
    """
    @param text: an option value.
    @return: C{text} in normal dotted-quad form.
    @raise ValueError: when it is not an IPv4 address.
    """
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise ValueError(f"must be an IPv4 address, not {text!r}")


def passiveAddress(text):
    """
    @param text: the address put in C{227} replies (C{--passive-address}).
    @return: C{text} as L{ipv4Address} gives it.
    @raise ValueError: when it is not an IPv4 address, or is one no client
        can connect to: C{0.0.0.0} (a client connects to itself, or
        fails), a multicast address, or one of the reserved C{240.0.0.0/4}
        (the broadcast address among them): every passive transfer
        failed.
    """
    address = ipaddress.IPv4Address(ipv4Address(text))
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        raise ValueError(f"must be an address clients can connect to, not "
                         f"{text!r} (unspecified, multicast or reserved)")
    return str(address)


def servedDirectory(text):
    """
    @param text: a directory to serve (C{--root}, C{--vhost-root},
        C{--realm filesystem:DIR}).
    @return: its absolute path (L{fromStart}).
    @raise ValueError: when it is not an existing directory, or the server
        cannot list it or reach what is in it (it started, and every
        command got C{550}), or is empty (a variable left unset: it
        named the working directory).
    """
    if not text:
        raise ValueError("needs a directory to serve, not ''")
    path = fromStart(text)
    if not os.path.isdir(path):
        raise ValueError(f"{text!r} is not an existing directory")
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_DIRECTORY))
        os.stat(os.path.join(path, "."))
    except OSError as e:
        raise ValueError(f"{text!r}: cannot read it ({e.strerror})") from None
    return path


def readableFile(text):
    """
    @param text: a file the server reads (C{--auth file:PATH},
        C{--auth users:PATH}).
    @return: C{text}.
    @raise ValueError: when it is not a file the server can read (it
        started, and every login failed, each logged as a failed login).
    """
    if os.path.isdir(text):
        raise ValueError(f"{text!r} is a directory, not a file")
    if not os.path.exists(text):
        raise ValueError(f"no such file {text!r}")
    if not os.path.isfile(text):
        raise ValueError(f"{text!r} is not a regular file")
    try:
        with open(text, "rb"):
            pass
    except OSError as e:
        raise ValueError(f"cannot read {text!r} ({e.strerror})") from None
    return text


def usersFile(text):
    """
    @param text: a users or password file (C{--auth file:PATH},
        C{--auth users:PATH}).
    @return: its absolute path (L{fromStart}).
    @raise ValueError: see L{readableFile}; not in a worker of
        C{--workers} started again whose acceptor kept the file's last
        good content (L{ftpkit.deploy.keptfiles}), which its checker
        reads instead, as a reload keeps it.
    """
    path = fromStart(text) if text else text
    try:
        return readableFile(path)
    except ValueError:
        if keptContent(path) is None:
            raise
        return path


LEAST_HELP_WIDTH = 60
"""The fewest columns L{helpWidth} gives: C{--help}'s first column, the
longest option's name, takes some 40, and Twisted wraps the text beside
it to what is left, a C{ValueError} traceback when nothing was."""


def helpWidth(environ=None):
    """
    @param environ: the environment [default: C{os.environ}].
    @return: the columns C{--help} wraps to: C{$COLUMNS} when it is ASCII
        digits (C{80} otherwise: an empty or other C{COLUMNS} was a
        C{ValueError} traceback), at least L{LEAST_HELP_WIDTH}.
    """
    text = (os.environ if environ is None else environ).get("COLUMNS", "")
    width = wholeNumber(text) if isWholeNumber(text) else 80
    return max(width, LEAST_HELP_WIDTH)
