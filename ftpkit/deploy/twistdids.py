"""
Checking C{twistd}'s C{--uid} and C{--gid} when ftpkit's options are
parsed: C{twistd} switches to them only once the server has started
listening, and a user id without an entry in the password database was
a C{KeyError} traceback there (C{twistd} looks up the user's name for its
supplementary groups, and its group when C{--gid} is not given), a group
id out of range an C{OverflowError} one or an C{EINVAL} exit.

A I{name} C{twistd} cannot find (C{twistd --uid nosuchuser ftpkit}) is
still C{twistd}'s own C{KeyError} traceback: it looks names up as it
reads its options, before it loads any plugin, and no ftpkit code runs
before that. Given after C{ftpkit} (C{twistd ftpkit --uid ftp}), it, or
any other option of C{twistd}'s, is a usage error saying where it goes
(L{misplacedOption}), which names a user or group name that names no one
as well (L{unknownIdName}): moved before C{ftpkit} as it says, that
name was C{twistd}'s traceback.
"""

import getopt
import pwd
import re

from twisted.python.util import gidFromString, uidFromString

_MOST_ID = 2 ** 32 - 2
"""The largest user or group id the kernel takes (C{2 ** 32 - 1} is
C{-1}, which C{setgid} reads as "no change")."""


def twistdIdError(twistdOptions, passwordEntry=pwd.getpwuid):
    """
    @param twistdOptions: C{twistd}'s parsed options (a mapping whose
        C{uid} and C{gid} are numbers or C{None}), or anything else when
        ftpkit does not run under C{twistd}.
    @param passwordEntry: L{pwd.getpwuid}, or a stand-in for tests.
    @return: why C{twistd} cannot switch to that user or group, naming the
        option and the id, or C{None}. A group id without an entry in the
        group database is accepted, as C{twistd} and the kernel accept it;
        a user id needs its entry. Under C{--chroot} the user is not
        checked: C{twistd} looks it up inside the new root.
    """
    if not isinstance(twistdOptions, dict):
        return None
    gid = twistdOptions.get("gid")
    if gid is not None and not 0 <= gid <= _MOST_ID:
        return f"--gid: {gid} is no group id (0 to {_MOST_ID})"
    uid = twistdOptions.get("uid")
    if uid is None or twistdOptions.get("chroot"):
        return None
    try:
        passwordEntry(uid)
    except (KeyError, OverflowError):
        return (f"--uid: no user has the id {uid} (twistd needs its entry "
                f"in the password database for its name and groups)")
    return None


_NAMES = {"uid": ("user", uidFromString), "gid": ("group", gidFromString)}
"""For each of C{twistd}'s options that take a name: what it names, and
the function C{twistd} reads its value with (L{uidFromString},
L{gidFromString}: a number as it is, a name looked up, C{KeyError} where
no one has it)."""


def unknownIdName(option, twistdOptions, parser, names=_NAMES):
    """
    @param option: an option of C{twistd}'s as written after C{ftpkit}
        (C{"--uid"}, C{"-g"}...).
    @param twistdOptions: C{twistd}'s options (their C{synonyms}).
    @param parser: the L{twisted.python.usage.Options} that read the
        arguments and did not know C{option} (its C{argv}, C{shortOpt}
        and C{longOpt}).
    @param names: L{_NAMES}, or stand-ins for tests.
    @return: C{"no user is named 'ftq'"} where C{option} is C{--uid} or
        C{--gid} (or a synonym) and a value of it is a name the password
        or group database does not have, read as C{twistd} reads it (the
        first such: C{twistd} reads each value given, C{--uid ftp --uid
        ftq} is its C{KeyError}); otherwise C{None} (a number is
        C{twistd}'s to check, L{twistdIdError}, once given in its place).
    """
    synonyms = getattr(twistdOptions, "synonyms", {})
    name = synonyms.get(option.lstrip("-"))
    if name not in names:
        return None
    spellings = [s for s, n in synonyms.items() if n == name]
    shortOpt = parser.shortOpt + "".join(
        s + ":" for s in spellings if len(s) == 1)
    longOpt = parser.longOpt + [s + "=" for s in spellings if len(s) > 1]
    try:
        given, _ = getopt.getopt(parser.argv, shortOpt, longOpt)
    except getopt.GetoptError:
        return None
    what, fromString = names[name]
    for written, value in given:
        if written.lstrip("-") in spellings:
            try:
                fromString(value)
            except KeyError:
                return f"no {what} is named {value!r}"
    return None


def misplacedOption(error, twistdOptions, program, parser):
    """
    @param error: the text of a usage error from ftpkit's options.
    @param twistdOptions: C{twistd}'s options (its
        L{twisted.python.usage.Options}, whose C{synonyms} names every
        option it takes), or C{None}.
    @param program: C{"twistd"}, or C{"ftpkit"} for C{python -m ftpkit}.
    @param parser: the ftpkit options that gave C{error}: a C{--uid} or
        C{--gid} name of their arguments that names no one is said first
        (L{unknownIdName}).
    @return: the usage error to give instead when C{error} is the parser's
        C{option --uid not recognized} for an option of C{twistd}'s, given
        after C{ftpkit} where ftpkit's parser reads it: where to give it;
        otherwise C{None}.
    """
    unknown = re.match(r"option (--?)([\w-]+) not recognized$", error)
    synonyms = getattr(twistdOptions, "synonyms", {})
    if unknown is None or unknown.group(2) not in synonyms:
        return None
    option = unknown.group(1) + unknown.group(2)
    noOne = unknownIdName(option, twistdOptions, parser)
    said = f"{option}: {noOne}, and {option} is" if noOne else f"{option}:"
    if program == "ftpkit":
        return (f"{said} an option of twistd, which python -m ftpkit does "
                f"not take: run twistd -n {option} ... ftpkit ...")
    return (f"{said} an option of twistd itself: give it before ftpkit "
            f"(twistd {option} ... ftpkit ...)")
