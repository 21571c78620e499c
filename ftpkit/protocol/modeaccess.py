"""
What the serving process may do to an entry by its mode bits, for the
C{perm} fact (RFC 3659, section 7.5.5): a file made read-only
(C{chmod 444}, C{SITE CHMOD 444}) of a server that does not run as root
showed C{w} and C{a}, which C{STOR} and C{APPE} then refused.

The bits are the owner's, the group's or the others' as the kernel picks
them for the process (its effective user id, then its groups); access
control lists are not read (each would cost a system call an entry). A
process whose effective user id is 0 may read and write anything, and is
narrowed by nothing. No reactor.
"""

import functools
import os

from ftpkit.fileinfo import DIRECTORY, LINK

EVERYTHING = 0o7
"""The bits of a process narrowed by nothing: read, write and search."""

_READ, _WRITE, _SEARCH = 0o4, 0o2, 0o1


def credentials():
    """
    @return: C{None} for a process whose effective user id is 0, which
        the mode bits do not bind; else C{(uid, gids)}: its effective
        user id and a C{frozenset} of its effective and supplementary
        group ids. Read anew on each call: C{twistd --uid} changes them
        after start.
    """
    uid = os.geteuid()
    if uid == 0:
        return None
    return uid, frozenset((os.getegid(), *os.getgroups()))


def accessBits(mode, uid, gid, creds):
    """
    @param mode: an entry's C{st_mode}.
    @param uid: its owner's user id.
    @param gid: its group id.
    @param creds: what L{credentials} gave.
    @return: the bits (L{EVERYTHING} at most) the process has on it.
    """
    if creds is None:
        return EVERYTHING
    if uid == creds[0]:
        return (mode >> 6) & 0o7
    if gid in creds[1]:
        return (mode >> 3) & 0o7
    return mode & 0o7


@functools.lru_cache(maxsize=64)
def allowedBy(kind, bits):
    """
    @param kind: an entry's kind (what L{ftpkit.protocol.listinglines.typeOf}
        gives).
    @param bits: the process's bits on it (L{accessBits}).
    @return: the C{perm} letters those bits allow, a C{frozenset}: a file
        (or a FIFO, socket or device) is read (C{r}) with read, appended
        to and stored over (C{a}, C{w}) with write; a directory is listed
        (C{l}) with read, entered (C{e}) with search, and files and
        directories are made and removed in it (C{c}, C{m}, C{p}) with
        write and search. Deleting or renaming an entry (C{d}, C{f}) is
        its directory's business, and is left as it is.
    """
    letters = set("acdeflmprw")
    if kind == DIRECTORY:
        if not bits & _READ:
            letters.discard("l")
        if not bits & _SEARCH:
            letters -= set("ecmp")
        if not bits & _WRITE:
            letters -= set("cmp")
    elif kind != LINK:
        if not bits & _READ:
            letters.discard("r")
        if not bits & _WRITE:
            letters -= set("aw")
    return frozenset(letters)

