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
and clients never see it.

A reservation is its upload's only while that upload holds it: an
exclusive C{flock} on the file, which goes with its process, whatever
killed it. So a reservation nobody holds is a leftover (a killed worker
of C{--workers}, a crashed server), and any process may take it: the
next upload of that name holds it and makes it its own (L{reserve}), and
a sweep removes it (L{removeStale}: the sweep at start, the sweep of a
worker that died, L{ftpkit.shells.partialsweep}). Both act only while
they hold the file themselves and it still has the name, so that
neither takes a reservation an upload holds: the file was made, then
held, and a sweep between the two took it away (the upload then held a
file with no name, and a second upload reserved the name again), and a
sweep's look at a file (its own lock for a moment) left the upload's
lock refused, and the reservation unheld for the whole upload.
"""

import hashlib
import os

from ftpkit.errors import AlreadyExists
from ftpkit.shells.cachedopen import openWithoutLinks
from ftpkit.shells.uploadlocks import heldAlone, holdNamed
from ftpkit.shells.uploadnames import TEMPORARY_PREFIX, TEMPORARY_SUFFIX
from ftpkit.shells.uploadremoval import removeQuietly

RESERVATION_TAG = b"unique-"
"""What reservation names start with after L{TEMPORARY_PREFIX}: not a
process's tag (those are hex digits), and no dot follows, so that they
name no target."""

_TAKE_FLAGS = (os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK
               | getattr(os, "O_CLOEXEC", 0))
"""How a reservation that is there is opened: for writing, as an
exclusive lock on NFS needs."""

_OPEN_FLAGS = _TAKE_FLAGS | os.O_CREAT | os.O_EXCL
"""How a reservation is made."""

_ATTEMPTS = 3
"""Tries at a reservation whose file went, or became another, meanwhile
(a sweep, another upload releasing it)."""


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
    Reserve C{target}'s name for an upload that creates it: make its
    reservation, or take one nobody holds, and hold it.

    @param target: the target's path, C{bytes}.
    @return: the reservation, for L{release}.
    @raise AlreadyExists: when another upload holds the reservation.
    """
    name = target.rpartition(b"/")[2]
    path = target[:len(target) - len(name)] + reservationName(name)
    for _ in range(_ATTEMPTS):
        try:
            fd = openWithoutLinks(path, _OPEN_FLAGS, 0o600)
            made = True
        except FileExistsError:
            try:
                fd = openWithoutLinks(path, _TAKE_FLAGS)
            except FileNotFoundError:
                # Released meanwhile: make it again.
                continue
            except OSError:
                # No reservation of ours (a link, a FIFO, a directory
                # someone put there): the name stays refused, as made.
                raise AlreadyExists() from None
            made = False
        held = holdNamed(fd, path, made)
        if held:
            return (fd, path)
        os.close(fd)
        if held is False and not made:
            raise AlreadyExists()
    raise AlreadyExists()


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


def isReservation(name):
    """
    @param name: a directory entry's name, C{bytes}.
    @return: whether it is a reservation's (L{reservationName}).
    """
    return (name.startswith(TEMPORARY_PREFIX + RESERVATION_TAG)
            and name.endswith(TEMPORARY_SUFFIX))


def removeStale(path):
    """
    Remove a reservation nobody holds (a leftover of a process that
    died), holding it meanwhile, so that an upload taking it at the same
    moment (L{reserve}) keeps it.

    @param path: the reservation's path, C{bytes}.
    @return: whether it was removed.
    """
    with heldAlone(path) as held:
        if held:
            removeQuietly(path)
        return held
