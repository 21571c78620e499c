"""
The names and ages of the hidden files L{ftpkit.shells.keptuploads}
keeps in a shell's own tree (pure functions): a cut upload's partial
upload (L{partialName}), named after its target and its resumer; the
partial upload a resume took (L{resumingName}), named so too, so that
another resume of it meanwhile finds it busy; and a new upload's file
before it is complete (L{placingName}). Every name starting with
L{HIDDEN_START} is the server's, as on the disk realm: never listed, and
refused to clients (L{isRefused}).
"""

import hashlib
import secrets

from ftpkit.shells.partials import TAKE_GRACE
from ftpkit.shells.uploadnames import PARTIAL_LIFETIME, targetLabel

HIDDEN_START = ".ftpkit-"
"""What the names of the server's own files start with, as on the disk
realm (L{ftpkit.shells.diskpaths}): a client may name none of them."""

PARTIAL_PREFIX = ".ftpkit-partial."
"""The start of a partial upload's name."""

RESUMING_PREFIX = ".ftpkit-resuming."
"""The start of the name of a partial upload a resume took."""

PLACING_PREFIX = ".ftpkit-placing."
"""The start of the name of a new upload's file before it is complete."""

NOBODY = "-"
"""The resumer tag of a partial upload kept for nobody in particular (by
a shell not made for a resumer), which every resumer sees."""


def isKept(name):
    """
    @param name: a directory entry's name.
    @return: whether it is one of the server's own files, which listings
        leave out.
    """
    return name.startswith(HIDDEN_START)


class Shown:
    """
    The test of the names L{ftpkit.shells.keptuploads} lists: not the
    server's own (a pure function of the name, its L{cacheKey} saying
    so, for L{ftpkit.shells.listings.FilteredListing}).
    """

    def cacheKey(self):
        """
        @return: what this test depends on: nothing but the name.
        """
        return ("kept-uploads",)

    def __call__(self, name):
        """
        @param name: an entry's name.
        @return: whether it is listed.
        """
        return not isKept(name)


SHOWN = Shown()
"""The test of the names listed (L{Shown})."""


def isRefused(path):
    """
    @param path: a tuple of segments a client named.
    @return: whether a segment is one of the server's own names
        (L{isKept}).
    """
    return any(segment.startswith(HIDDEN_START) for segment in path)


def resumerTag(resumer):
    """
    @param resumer: who a partial upload is kept for (C{str}), or C{None}
        for nobody in particular.
    @return: what its name says of that: 16 hex digits of a hash of the
        resumer, or L{NOBODY}.
    """
    if resumer is None:
        return NOBODY
    encoded = resumer.encode("utf-8", "surrogateescape")
    return hashlib.blake2b(encoded, digest_size=8).hexdigest()


def _named(prefix, name, resumer):
    """
    @param prefix: L{PARTIAL_PREFIX} or L{RESUMING_PREFIX}.
    @param name: an upload's target's name (C{str}).
    @param resumer: who its partial upload is kept for, or C{None}.
    @return: C{prefix}, the L{resumerTag}, a dot and the target's label
        (L{ftpkit.shells.uploadnames.targetLabel}: the name, or for one
        over 200 bytes in UTF-8, its SHA-256): at most 234 bytes, which a
        file system taking 255 holds.
    """
    label = targetLabel(name.encode("utf-8", "surrogateescape"))
    return "%s%s.%s" % (prefix, resumerTag(resumer),
                        label.decode("utf-8", "surrogateescape"))


def partialName(name, resumer):
    """
    @param name: an upload's target's name (C{str}).
    @param resumer: who its partial upload is kept for, or C{None}.
    @return: the name of that partial upload, beside the target.
    """
    return _named(PARTIAL_PREFIX, name, resumer)


def resumingName(name, resumer):
    """
    @param name: an upload's target's name (C{str}).
    @param resumer: who resumes it, or C{None}.
    @return: the name its partial upload has while a resume continues it.
    """
    return _named(RESUMING_PREFIX, name, resumer)


def partialNames(name, resumer):
    """
    @param name: an upload's target's name.
    @param resumer: who asks, or C{None}.
    @return: the names of the partial uploads of C{name} that C{resumer}
        sees, its own first: its own and those kept for nobody in
        particular.
    """
    own = partialName(name, resumer)
    if resumer is None:
        return [own]
    return [own, partialName(name, None)]


def placingName():
    """
    @return: a new name, unguessable, for a file on its way to its own.
    """
    return PLACING_PREFIX + secrets.token_hex(12)


def isPlacing(name):
    """
    @param name: a directory entry's name.
    @return: whether it is a L{placingName}: a new upload's file, renamed
        to its target once complete (or kept as its partial upload).
    """
    return name.startswith(PLACING_PREFIX)


def isExpired(mtime, now, lifetime=PARTIAL_LIFETIME):
    """
    @param mtime: a hidden file's modification time, seconds since the
        epoch, or C{None} when the store does not tell.
    @param now: the time now.
    @param lifetime: seconds it is kept.
    @return: whether it is older than C{lifetime} (one whose time is not
        known is not).
    """
    return mtime is not None and now - mtime > lifetime


REMOVE = "remove"
"""What L{staleAction} tells of a hidden file to remove."""

RESTORE = "restore"
"""What L{staleAction} tells of a resume's file to give back its partial
name (L{restoredName})."""


def staleAction(name, mtime, now):
    """
    What to do with a hidden file met in a sweep: a partial upload past
    L{PARTIAL_LIFETIME} goes; a new upload's file (L{PLACING_PREFIX})
    not written for L{TAKE_GRACE} seconds was left by a server that died
    mid-upload (a running upload writes it, and is cut long before,
    C{--data-timeout}), and goes too: its target is not known; a
    resume's (L{RESUMING_PREFIX}) not written for as long is a partial
    upload again (L{RESTORE}), aged from its last write.

    @param name: the file's name.
    @param mtime: its modification time, or C{None} where not known.
    @param now: the time now.
    @return: L{REMOVE}, L{RESTORE} or C{None} (left as it is).
    """
    if name.startswith(PARTIAL_PREFIX):
        return REMOVE if isExpired(mtime, now, PARTIAL_LIFETIME) else None
    if not isExpired(mtime, now, TAKE_GRACE):
        return None
    if name.startswith(PLACING_PREFIX):
        return REMOVE
    if name.startswith(RESUMING_PREFIX):
        return RESTORE
    return None


def restoredName(name):
    """
    @param name: a L{resumingName}.
    @return: the L{partialName} of the same target and resumer.
    """
    return PARTIAL_PREFIX + name[len(RESUMING_PREFIX):]
