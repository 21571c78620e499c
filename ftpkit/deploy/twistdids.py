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
(L{misplacedOption}).
"""

import pwd
import re

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


def misplacedOption(error, twistdOptions, program):
    """
    @param error: the text of a usage error from ftpkit's options.
    @param twistdOptions: C{twistd}'s options (its
        L{twisted.python.usage.Options}, whose C{synonyms} names every
        option it takes), or C{None}.
    @param program: C{"twistd"}, or C{"ftpkit"} for C{python -m ftpkit}.
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
    if program == "ftpkit":
        return (f"{option}: an option of twistd, which python -m ftpkit does "
                f"not take: run twistd -n {option} ... ftpkit ...")
    return (f"{option}: an option of twistd itself: give it before ftpkit "
            f"(twistd {option} ... ftpkit ...)")
