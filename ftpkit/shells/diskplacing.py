"""
Putting a complete upload's file at its name, for
L{ftpkit.shells.diskwriter.FileWriter}: the blocking calls of its commit,
each on paths and descriptors alone (a temporary file renamed or linked
over the target, a file with no name given one, the file written in place
checked to be still there, and, appended to, to hold what it held and the
bytes appended).
"""

import errno
import os
import stat

from ftpkit.errors import (
    AlreadyExists,
    FileBusy,
    FileChanged,
    FileReplaced,
    NoSuchFile,
)
from ftpkit.shells import shortcalls, uploadlocks, uploads
from ftpkit.shells.uploadremoval import removeQuietly

_NO_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP,
                       errno.EMLINK, errno.ENOSYS})
"""Errors of C{link} on a file system that has no hard links (FAT, some
FUSE and network file systems), or no more for that file."""

DIRECTORY_REMOVED = "Directory removed during the upload"
"""The reply to an upload whose directory was removed before it was
complete (by a local user: C{RMD} waits for the uploads of new files)."""

DIRECTORY_MOVED = "Directory moved or removed during the upload"
"""The reply to an upload into a temporary file that was not where it was
made once complete (L{placeTemporary})."""

UPLOAD_BELOW = "An upload into the directory is in progress; try again later"
"""The reply to a rename of a directory an upload into a temporary file
writes into (L{refuseMovingUploads}; a file an upload writes in place
gets L{uploadlocks.FILE_UPLOADING})."""

ON_DESCRIPTORS = "on descriptors"
"""L{nameAnonymous}'s C{atOnce} for a call on the upload's descriptors
alone (L{ftpkit.shells.shortcalls.ShortCalls.onDescriptors}), which must
not go by name."""


def placeNew(temporary, target):
    """
    Give a complete upload its name, unless a file of that name exists:
    a hard link does that in one step, which a check before a rename
    cannot (blocking).

    @param temporary: the upload's temporary file, removed once linked.
    @param target: the name it gets.
    @raise AlreadyExists: when C{target} exists (the temporary file stays
        for the caller to remove).
    """
    try:
        os.link(temporary, target, follow_symlinks=False)
    except FileExistsError:
        raise AlreadyExists() from None
    except OSError as e:
        if e.errno not in _NO_LINKS:
            raise
        # A file system without hard links: check, then rename.
        if os.path.lexists(target):
            raise AlreadyExists() from None
        os.rename(temporary, target)
        return
    os.unlink(temporary)


def placeTemporary(temporary, target, exclusive):
    """
    Put an upload's temporary file in place (blocking), by its path: an
    upload into one holds no descriptor of its directory (that costs two
    system calls per upload), so the rename of a directory is refused
    while it runs below (L{refuseMovingUploads}); one moved meanwhile all
    the same (by a local user, or in the moment between that check and
    the rename) leaves the file where the directory went, to become the
    target's partial upload there at the next sweep (L{uploads.sweep}).

    @param temporary: the temporary file's path.
    @param target: the path it gets.
    @param exclusive: replace no file at C{target} (L{placeNew}).
    @raise AlreadyExists: when exclusive and the target exists.
    @raise NoSuchFile: when the temporary file is not where it was
        made: its directory moved or removed meanwhile.
    """
    try:
        if exclusive:
            placeNew(temporary, target)
        else:
            os.replace(temporary, target)
    except FileNotFoundError:
        if os.path.lexists(temporary):
            raise
        raise NoSuchFile(DIRECTORY_MOVED) from None


def refuseMovingUploads(source):
    """
    Refuse to rename a directory below which an upload, of any process
    serving the tree, writes a temporary file or a file in place
    (blocking: the tree is walked, L{uploadlocks.heldBelow}): the upload
    would fail once complete (L{placeTemporary}, L{checkInPlace}), its
    file left where the directory went. An upload
    of a new file (no name until complete) goes along with its directory,
    and does not count. Refuse as well to rename a file an upload
    writes in place (L{uploadlocks.held}), saying so
    (L{uploadlocks.FILE_UPLOADING}): the upload ended with C{450} "try
    again", every byte of it in the renamed file (a client retrying an
    C{APPE} stored its bytes twice). A change that
    comes between this check and the rename (a local user's) is still
    caught when the upload ends (L{checkInPlace}).

    @param source: the path renamed, its last segment not followed.
    @raise FileBusy: when it is such a directory, or file.
    """
    try:
        mode = os.lstat(source).st_mode
    except OSError:
        return
    if stat.S_ISDIR(mode):
        if uploadlocks.heldBelow(source):
            raise FileBusy(UPLOAD_BELOW)
    elif stat.S_ISREG(mode):
        _refuseWritten(source)


def refuseTakingUpload(path):
    """
    Refuse to remove a file an upload, of any process serving the tree,
    writes in place (C{DELE}), or to replace it with another (the target
    of C{RNTO}), saying so (L{uploadlocks.FILE_UPLOADING}), as its own
    rename is refused (L{refuseMovingUploads}): the upload ended with
    C{450} "try again", its bytes in a file no name reached (a client
    retrying an C{APPE} began the file again from nothing, or wrote
    after another's bytes). An upload that replaces its target once
    complete (a C{STOR} into a temporary file) holds it shared
    (L{uploadlocks.holdTarget}), which does not count: its target may go
    meanwhile, and it puts its own file there once complete (blocking).

    @param path: the path removed or replaced, its last segment not
        followed (a link is removed, not what it names).
    @raise FileBusy: when it names such a file.
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode):
        _refuseWritten(path)


def _refuseWritten(path):
    """
    @param path: a regular file's path.
    @raise FileBusy: when an upload writes it in place
        (L{uploadlocks.held}).
    """
    if uploadlocks.held(path):
        raise FileBusy(uploadlocks.FILE_UPLOADING)


def checkInPlace(target, inode):
    """
    Check that the target still names the file an upload wrote in place
    (blocking: one C{lstat}). Another upload writing in place waits for
    this one (L{ftpkit.shells.uploadlocks.holdInPlace}), and a session's
    rename of it is refused (L{refuseMovingUploads}), but an upload
    replacing the file (its own file renamed over the target), C{RNTO}
    onto it, C{DELE} or a local user's rename does not: told C{226}, the client
    would believe its bytes are at the target, where they are not (in a
    file no name reaches, or under another name). Checked once complete,
    when the bytes are written: what changes the target after that comes
    after this upload.

    @param target: the file's path.
    @param inode: C{(st_dev, st_ino)} of the file written.
    @raise FileReplaced: when the target is another file, or none.
    """
    try:
        found = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):
        found = None
    if found is None or (found.st_dev, found.st_ino) != inode:
        raise FileReplaced()


def checkAppended(fd, length):
    """
    Check that a file an upload appended to in place (C{O_APPEND}) is as
    long as the upload made it (blocking: one C{fstat}). Another upload
    writing it in place waits for this one
    (L{ftpkit.shells.uploadlocks.holdInPlace}), but another program does
    not: cut meanwhile (C{truncate}), the file lost its bytes from before,
    and maybe some of the appended ones, the rest going to its new end;
    written to, it mixes that program's bytes with the client's. Told
    C{226}, the client would believe the file holds what it had followed
    by what was sent. Like L{checkInPlace}, checked once complete.

    @param fd: the descriptor the upload wrote.
    @param length: the file's length before the upload plus the bytes
        appended.
    @raise FileChanged: when it is another length.
    """
    if os.fstat(fd).st_size != length:
        raise FileChanged()


RESUME_CHECKED = 65536
"""Bytes before a resume's offset that an upload written in place from
it reads when it opens the file and again once complete
(L{checkResumed}): a cut below the offset within them, too close to it
for the hole it leaves to hold a whole block, changes them."""


def bytesBefore(read, offset):
    """
    @param read: reads a file: called with a length and an offset, gives
        the bytes there.
    @param offset: where an upload resumes the file.
    @return: the file's L{RESUME_CHECKED} bytes before C{offset} (fewer
        near its start).
    """
    start = max(0, offset - RESUME_CHECKED)
    return read(offset - start, start)


def denseLength(fd):
    """
    @param fd: a descriptor of a regular file; its position is left as
        it was (a buffered file object over it counts on it).
    @return: where the file's first hole begins (C{SEEK_HOLE}): its
        length when it has none, or when its filesystem tells of none.
    """
    position = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        return os.lseek(fd, 0, os.SEEK_HOLE)
    except OSError:
        # ENXIO: an empty file; EINVAL: no SEEK_HOLE here.
        return os.fstat(fd).st_size
    finally:
        os.lseek(fd, position, os.SEEK_SET)


def resumedIntact(before, after, dense, denseNow, offset, end):
    """
    Whether a file an upload wrote in place from an offset (C{REST} then
    C{STOR}) still holds its bytes before that offset, as far as can be
    told. Another program that cut it below the offset meanwhile
    (C{truncate}) left zeros there, which the upload's writes past them
    kept, in a file of the length the client expects: near the offset
    they change the bytes read before it (L{bytesBefore}); farther, they
    hold a whole block at least, a hole where the filesystem tells holes
    (L{denseLength}; a file with holes before the offset is judged up to
    its first). A file with none before the offset has none before the
    upload's end once complete: a hole there is also a cut into the
    upload's own bytes, of a whole block at least, which its later
    writes went past.

    @param before: the bytes before the offset when the upload opened the
        file, or C{None} when they could not be read.
    @param after: those bytes once the upload is complete (C{None} too
        when C{before} is).
    @param dense: where the file's first hole began when opened, or
        C{None} when the store cannot tell.
    @param denseNow: where it begins now (C{None} likewise).
    @param offset: where the upload began.
    @param end: where the upload's last byte went.
    @return: C{True} or C{False}.
    """
    if before != after:
        return False
    return dense is None or denseNow >= (end if dense >= offset else dense)


def checkResumed(fd, offset, before, dense, end):
    """
    Check that a file an upload wrote in place from C{offset} holds its
    bytes before it (blocking: a read and an C{lseek};
    L{resumedIntact}). Told C{226}, the client would believe the file
    whole. Like L{checkAppended}, checked once complete.

    @param fd: the descriptor the upload wrote, readable unless C{before}
        is C{None}.
    @param offset: where the upload began.
    @param before: L{bytesBefore} C{offset} when it opened the file, or
        C{None}.
    @param dense: L{denseLength} when it opened the file.
    @param end: the file's length now, where the upload's last byte went.
    @raise FileChanged: when it does not.
    """
    after = None if before is None else bytesBefore(
        lambda length, at: os.pread(fd, length, at), offset)
    if not resumedIntact(before, after, dense, denseLength(fd), offset,
                         end):
        raise FileChanged()


def nameAnonymous(fd, name, directory, exclusive, atOnce):
    """
    Give a file with no name its name (blocking), in the directory the
    upload started in, wherever it is by now (its held descriptor): a file
    of that name that appeared since the upload opened is replaced,
    atomically, as an upload replaces a file, unless the upload is
    exclusive.

    @param fd: the file's descriptor.
    @param name: its name in C{directory}, C{bytes}.
    @param directory: the held descriptor of its directory.
    @param exclusive: replace no file of that name.
    @param atOnce: this runs in the reactor thread (a short call), or
        L{ON_DESCRIPTORS}.
    @raise AlreadyExists: when exclusive and the target exists.
    @raise NoSuchFile: when the directory was removed meanwhile (not
        through C{RMD}, which waits for the upload: by a local user).
    @raise shortcalls.Declined: when C{atOnce} and the file there is
        large: replacing it would free its blocks in the reactor thread;
        or, L{ON_DESCRIPTORS}, when a file is there at all: looking at it
        and replacing it go by its name. Nothing changed; the caller runs
        the commit again in a disk thread.
    """
    try:
        uploads.linkAnonymous(fd, name, directory)
    except FileExistsError:
        if exclusive:
            raise AlreadyExists() from None
        if atOnce is ON_DESCRIPTORS or (
                atOnce and shortcalls.freesMuch(name, directory)):
            raise shortcalls.Declined() from None
        temporary = uploads.nameAnonymous(fd, name, directory)
        try:
            os.replace(temporary, name, src_dir_fd=directory,
                       dst_dir_fd=directory)
        except BaseException:
            removeQuietly(temporary, directory)
            raise
    except FileNotFoundError:
        if directoryRemoved(directory):
            raise NoSuchFile(DIRECTORY_REMOVED) from None
        raise


def directoryRemoved(directory):
    """
    @param directory: a held descriptor of a directory
        (L{uploads.createAnonymous}).
    @return: whether that directory was removed since it was opened.
    """
    return os.fstat(directory).st_nlink == 0
