"""
The names of the hidden files of uploads not in place yet (blocking
functions, run in disk threads): the temporary file an upload writes
beside its target (L{temporaryName}, L{createTemporary}), named after the
target so that a crashed upload can become its partial upload; the name
of a partial upload (L{partialPath}) and its lifetime
(L{PARTIAL_LIFETIME}). Listings hide both (L{isHidden}). The rule they
serve is in L{ftpkit.shells.uploads}.
"""

import hashlib
import itertools
import os
import secrets

from ftpkit.errors import FileBusy
from ftpkit.shells.cachedopen import NEW_FILE_MODE, openWithoutLinks
from ftpkit.shells.uploadlocks import holdNamed

TEMPORARY_PREFIX = b".ftpkit-upload."

TEMPORARY_SUFFIX = b".tmp"

PARTIAL_PREFIX = b".ftpkit-partial."

PARTIAL_LIFETIME = 24 * 3600
"""Seconds a cut upload is kept for a resume (since it was cut, by this
machine's clock: L{ftpkit.shells.partials.keepPartial}). One whose time
is ahead of the clock (the clock stepped back since) is not removed for
its age until the clock has passed it by as much."""

_NAME_MAX = 255
"""The longest file name (bytes) Linux file systems take."""

_TEMPORARY_TAG = secrets.token_hex(8).encode()
"""The random part of this process's temporary names: secret (they are
hidden from listings), so that nobody can take a name before an upload."""

_temporaryNumbers = itertools.count()
"""Numbers the temporary names of this process (thread-safe to draw from:
C{next} on a C{count} holds the GIL)."""

_TEMPORARY_ATTEMPTS = 3
"""Names tried before an upload fails because they are all taken."""

_HOLD_ATTEMPTS = 10
"""Files made before an upload fails because a sweep took each as it was
made (L{createTemporary}): one sweep reads a directory once, so only
sweeps starting one after another, in several processes, take more than
one."""

_SWEPT = "Upload file taken by another server's sweep; try again"
"""The reply to an upload whose every temporary file a sweep took."""

_OPEN_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
               | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))


def _onTemporaryName(target, make):
    """
    Call C{make} with a new temporary name beside C{target}, trying
    another name while the one given is taken.

    @param target: the target's path, C{bytes}.
    @param make: called with a temporary path; raises C{FileExistsError}
        when that path exists.
    @return: C{(what make returned, the path)}.
    @raise FileExistsError: when every name tried was taken.
    """
    # os.path.split and os.path.join, without their calls.
    name = target.rpartition(b"/")[2]
    directory = target[:len(target) - len(name)]
    for attempt in range(_TEMPORARY_ATTEMPTS):
        path = directory + temporaryName(name)
        try:
            return make(path), path
        except FileExistsError:
            if attempt == _TEMPORARY_ATTEMPTS - 1:
                raise


def temporaryName(target):
    """
    @param target: the target file's name, C{bytes}.
    @return: a new temporary upload file name, C{bytes}, unique in this
        process without a system call per name; it names the target (by
        its L{targetLabel}) when that fits, so that a crashed upload can
        become a partial one.
    """
    unique = b"%s%s-%d" % (TEMPORARY_PREFIX, _TEMPORARY_TAG,
                           next(_temporaryNumbers))
    named = b"%s.%s%s" % (unique, targetLabel(target), TEMPORARY_SUFFIX)
    if len(named) <= _NAME_MAX:
        return named
    return unique + TEMPORARY_SUFFIX


def targetOfTemporary(name):
    """
    @param name: a temporary upload file's name, C{bytes}.
    @return: its target's L{targetLabel} (the name, but for a long one),
        or C{None} when it does not say.
    """
    middle = name[len(TEMPORARY_PREFIX):-len(TEMPORARY_SUFFIX)]
    _, dot, target = middle.partition(b".")
    return target if dot and target else None


def isHidden(name):
    """
    @param name: a directory entry's name, C{bytes}.
    @return: whether it is an upload not in place (temporary or partial),
        which listings leave out.
    """
    return ((name.startswith(TEMPORARY_PREFIX)
             and name.endswith(TEMPORARY_SUFFIX))
            or name.startswith(PARTIAL_PREFIX))


_LABEL_ROOM = _NAME_MAX - 55
"""The longest target name (200 bytes) the names of its hidden files hold
as it is: with L{PARTIAL_PREFIX}, or in a temporary name, with
L{TEMPORARY_PREFIX}, this process's tag, a number of up to 18 digits,
two dots and L{TEMPORARY_SUFFIX}."""


def targetLabel(name):
    """
    What the hidden files of a target's uploads (L{partialPath},
    L{temporaryName}) name it by: its name, or for a name longer than 200
    bytes (C{_LABEL_ROOM}; 67 CJK characters in UTF-8), L{PARTIAL_PREFIX}
    and the name's SHA-256 in hex, a name no client may give a file
    (L{isHidden}). A name over 239 bytes had no partial upload, so that
    its cut upload kept nothing, its uploader's C{SIZE} answered the old
    file's size, and a client resuming from it (curl's C{-C -}, lftp)
    wrote the new file's rest after the old file's start, and was told
    C{226}; and a temporary name had no room for a name over about 210
    bytes, so that a crash left nothing to resume, with the same outcome.

    @param name: the target's name, C{bytes}.
    @return: its label, C{bytes}, 80 bytes long for a long name; the
        label of a label is itself.
    """
    if len(name) <= _LABEL_ROOM:
        return name
    return PARTIAL_PREFIX + hashlib.sha256(name).hexdigest().encode()


def partialPath(target):
    """
    @param target: the target's path, C{bytes}.
    @return: the path its partial upload is kept under: L{PARTIAL_PREFIX}
        and its L{targetLabel}, beside it.
    """
    directory, name = os.path.split(target)
    return os.path.join(directory, PARTIAL_PREFIX + targetLabel(name))


RESUMING_TAG = b"resuming"
"""What the name of a partial upload a resume took (L{resumingPath})
has after L{TEMPORARY_PREFIX}: not a process's tag (those are hex
digits, followed by C{-})."""


def resumingPath(target):
    """
    @param target: the target's path, C{bytes}.
    @return: the path a resume of its partial upload writes it under
        (L{ftpkit.shells.partials.claimPartial}): a temporary name, hidden
        and swept as one, that names the target, and the same for every
        resume of it, so that another resume meanwhile, in any process,
        finds it taken (C{450}), and C{SIZE} its size.
    """
    directory, name = os.path.split(target)
    return os.path.join(directory, b"%s%s.%s%s" % (
        TEMPORARY_PREFIX, RESUMING_TAG, targetLabel(name), TEMPORARY_SUFFIX))


def isResuming(name):
    """
    @param name: a directory entry's name, C{bytes}.
    @return: whether it is a partial upload a resume took (the name of a
        L{resumingPath}).
    """
    return name.startswith(b"%s%s." % (TEMPORARY_PREFIX, RESUMING_TAG))


def createTemporary(target, mode=NEW_FILE_MODE):
    """
    Create a new temporary upload file for C{target}, held for the upload
    (L{ftpkit.shells.uploadlocks.holdTemporary}) while C{fd} is open.

    It is returned only once held and still named (L{holdNamed}): made,
    then held, it was for a moment a file nobody held, and a sweep in
    another process serving the root took it then (made it the target's
    partial upload: the upload failed with C{550} once complete), or held
    it for a moment as the upload asked (the upload's hold refused, and
    ignored: a later sweep took the file). Such a file is left to that
    sweep, and another is made.

    @param target: the target's path, C{bytes}.
    @param mode: its permission bits.
    @return: C{(fd, path)}; C{O_EXCL} made it, so it is a new regular file.
    @raise FileExistsError: when every name tried was taken.
    @raise FileBusy: when a sweep took every file made.
    """
    for _ in range(_HOLD_ATTEMPTS):
        fd, path = _onTemporaryName(
            target, lambda path: openWithoutLinks(path, _OPEN_FLAGS, mode))
        if holdNamed(fd, path):
            return fd, path
        os.close(fd)
    raise FileBusy(_SWEPT)


def temporaryTag():
    """
    @return: what the temporary upload files of this process, and of no
        other, are named with (after L{TEMPORARY_PREFIX}), C{bytes}.
    """
    return _TEMPORARY_TAG
