"""
Names reserved for uploads that create their file (blocking functions,
run in disk threads): a C{STOU}, an anonymous upload
(L{ftpkit.shells.filesystem.FilesystemShell.openForCreating}).

Such an upload is written where nobody sees it (a file with no name, or
a hidden temporary file) and gets its name only once complete, so the
name was free for anyone meanwhile: two C{STOU}s at once were both told
C{150 FILE: x} for the same C{x}, and the second learnt after sending all
its data that C{x} was taken (C{550}). An upload that creates C{x} now
first makes C{x}'s reservation (L{reserve}): a hidden, empty file named
after C{x} (L{reservationName}), made with C{O_EXCL}, so that the file
system itself refuses a second reservation of C{x}, from this process,
another worker of C{--workers} or another server on the same directory.
A second C{STOU} of C{x} is then refused at the start and takes another
name; the reservation goes when the upload ends (L{release}), whatever
its end.

The reservation is never C{x} itself: C{RETR}, C{LIST}, C{DELE} and
C{STOR} of C{x} see no file until the upload is complete (readers get a
whole file or none), and the upload never replaces a file of that name
that appeared meanwhile (a C{STOR}'s, or a local user's): its end fails
with C{550} as before. Its name is one of a temporary upload file that
names no target (L{ftpkit.shells.uploadnames.isHidden}), so listings
and clients never see it, and the sweep at start removes one a crash
left (L{ftpkit.shells.partialsweep}); while its upload runs it is held
(L{ftpkit.shells.uploadlocks.holdTemporary}), and a sweep in another
process leaves it alone.
"""

import hashlib
import os

from ftpkit.errors import AlreadyExists
from ftpkit.shells.cachedopen import openWithoutLinks
from ftpkit.shells.uploadlocks import holdTemporary
from ftpkit.shells.uploadnames import TEMPORARY_PREFIX, TEMPORARY_SUFFIX
from ftpkit.shells.uploadremoval import removeQuietly

RESERVATION_TAG = b"unique-"
"""What reservation names start with after L{TEMPORARY_PREFIX}: not a
process's tag (those are hex digits), and no dot follows, so that they
name no target."""

_OPEN_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
               | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))


def reservationName(name):
    """
    @param name: a file's name, C{bytes}.
    @return: the name of its reservation in the same directory, C{bytes}
        (a digest of C{name}: it fits whatever C{name}'s length).
    """
    digest = hashlib.blake2b(name, digest_size=16).hexdigest().encode()
    return TEMPORARY_PREFIX + RESERVATION_TAG + digest + TEMPORARY_SUFFIX


def reserve(target):
    """
    Reserve C{target}'s name for an upload that creates it.

    @param target: the target's path, C{bytes}.
    @return: the reservation, for L{release}.
    @raise AlreadyExists: when another upload holds the reservation (or
        a crashed one left it, until the sweep at start removes it).
    """
    name = target.rpartition(b"/")[2]
    path = target[:len(target) - len(name)] + reservationName(name)
    try:
        fd = openWithoutLinks(path, _OPEN_FLAGS, 0o600)
    except FileExistsError:
        raise AlreadyExists() from None
    holdTemporary(fd)
    return (fd, path)


def release(reservation):
    """
    End a reservation (L{reserve}): its name first, while it is still
    held, then its descriptor.

    @param reservation: what L{reserve} returned.
    """
    fd, path = reservation
    try:
        removeQuietly(path)
    finally:
        os.close(fd)
