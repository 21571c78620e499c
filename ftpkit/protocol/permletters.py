"""
The masks of the C{perm} fact (RFC 3659, section 7.5.5): which of its
letters a user may be shown (L{ftpkit.interfaces.IFTPShellPermitted}),
from the server's access rules (L{ftpkit.protocol.access}) and from a
users file's permissions (L{ftpkit.shells.permissiontable}).

The letters: C{a} append (C{APPE}), C{c} create files in a directory
(C{STOR}, C{STOU}), C{d} delete (C{DELE}, C{RMD}), C{e} enter
(C{CWD}), C{f} rename (C{RNFR}), C{l} list, C{m} make a directory in
it (C{MKD}), C{p} purge (delete what a directory holds), C{r} read
(C{RETR}), C{w} write (C{STOR} over the file).

Pure: no reactor.
"""

import functools

ALL = frozenset("acdeflmprw")
"""The mask of a user who may do anything."""

LOOK = frozenset("elr")
"""The mask of a user who only looks (C{--read-only}, anonymous users)."""

CREATE_ONLY = LOOK | frozenset("cm")
"""The mask of a user who may also make new files and directories, and
change nothing (anonymous users with C{--anonymous-write})."""

UPLOADS = frozenset("acw")
"""The letters of which a directory's mask needs one for its user to
upload there at all: C{c} (a new file), C{w} (over one), C{a}
(C{APPE})."""

ROOT_REFUSED = frozenset("df")
"""The letters never shown for a user's root: it cannot be removed
(C{RMD}) or renamed (C{RNFR}), whoever asks."""

_LETTERS = {
    "list": "el",
    "read": "er",
    "write": "cw",
    "append": "a",
    "delete": "dp",
    "rename": "f",
    "mkdir": "m",
}
"""The letters each permission of a users file allows (those not named
here, C{set-time} and C{chmod}, have none)."""


@functools.lru_cache(maxsize=256)
def maskOf(permissions):
    """
    @param permissions: a C{frozenset} of permission names
        (L{ftpkit.shells.permissiontable.PERMISSIONS}).
    @return: the mask they allow (remembered: a users file has few sets).
    """
    return frozenset("".join(_LETTERS.get(name, "") for name in permissions))
