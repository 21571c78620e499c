"""
Files with no name (Linux's C{O_TMPFILE}) for the uploads that create a
file (blocking functions, run in disk threads): L{createAnonymous} makes
one in the target's directory, that directory held against its removal;
L{linkAnonymous} gives it the target's name once complete, and
L{nameAnonymous} a temporary one (to become a partial upload, or to
replace a file that appeared meanwhile). Where the file system or the
system has no such files, L{createAnonymous} says so, and the upload
takes a temporary file (L{ftpkit.shells.uploadnames.createTemporary}).
"""

import errno
import os

from ftpkit.shells.cachedopen import NEW_FILE_MODE
from ftpkit.shells.emptylink import AT_FDCWD, linkEmptyPath
from ftpkit.shells.uploadlocks import (
    holdDirectory,
    holdOpenDirectory,
    holdTemporary,
)
from ftpkit.shells.uploadnames import _onTemporaryName
from ftpkit.shells.uploadremoval import removeQuietly

_ANONYMOUS_FLAGS = (getattr(os, "O_TMPFILE", 0) | os.O_WRONLY | os.O_NOFOLLOW
                    | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
"""Flags of L{createAnonymous} (never C{O_EXCL}: the file could then not
be given a name)."""

_NO_ANONYMOUS = frozenset({errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR,
                           errno.EINVAL, errno.ENOSYS})
"""Errors of an C{O_TMPFILE} open where the file system (or the kernel,
before Linux 3.11) has no files without a name."""

_FD_LINKS = b"/proc/self/fd/"
"""Where Linux names each open descriptor of the calling process."""

_emptyPathWorks = None
"""Whether L{linkEmptyPath} names files here: C{None} until it is known
(its first success, or its first refusal where the C{/proc} way then
worked)."""

_anonymousWorks = None
"""Whether files without a name can be given one on this system
(L{_canLinkAnonymous}); C{None} until the first try."""


def createAnonymous(target, mode=NEW_FILE_MODE, opened=None):
    """
    Create the file of an upload that creates C{target}, with no name yet,
    in C{target}'s directory (blocking), that directory held against its
    removal while the upload runs (L{holdDirectory}): no name in it shows
    the upload, so C{RMD} removed it, and the upload failed once complete.

    @param target: the target's path, C{bytes}.
    @param mode: its permission bits.
    @param opened: a descriptor of C{target}'s directory opened with no
        link on the way (L{ftpkit.shells.diskpaths.Jail.openParent}),
        which this takes (held, or closed), or C{None} to open it here.
    @return: C{(fd, directory)}: the file's descriptor, for
        L{linkAnonymous}, and the held directory's, which the upload
        closes once it ended; or C{None} where such files cannot be made
        or named here, or while the directory is being removed (the
        caller then makes a temporary file,
        L{ftpkit.shells.uploadnames.createTemporary}, which a C{RMD}
        sees).
    """
    global _anonymousWorks
    if not _ANONYMOUS_FLAGS & getattr(os, "O_TMPFILE", 0) or (
            _anonymousWorks is False):
        if opened is not None:
            os.close(opened)
        return None
    if opened is None:
        directory = holdDirectory(target[:target.rfind(b"/")] or b"/")
    else:
        directory = holdOpenDirectory(opened)
    if directory is None:
        return None
    try:
        fd = _openNoName(directory, mode)
        if fd is not None and _anonymousWorks is None:
            _anonymousWorks = _canLinkAnonymous(directory, mode)
            if not _anonymousWorks:
                os.close(fd)
                fd = None
    except BaseException:
        os.close(directory)
        raise
    if fd is None:
        os.close(directory)
        return None
    return fd, directory


def _openNoName(directory, mode):
    """
    @param directory: a directory's descriptor.
    @param mode: the permission bits of the file.
    @return: the descriptor of a new file with no name in it, or C{None}
        where the file system has no such files.
    """
    try:
        return os.open(b".", _ANONYMOUS_FLAGS, mode, dir_fd=directory)
    except OSError as e:
        if e.errno in _NO_ANONYMOUS:
            return None
        raise


def _canLinkAnonymous(directory, mode):
    """
    Try once whether a file with no name can be given one here: that
    goes through C{/proc} (L{linkAnonymous}), which a chroot or a sandbox
    may not have, and then no upload made that way could be completed.

    @param directory: a descriptor of a directory where C{O_TMPFILE}
        works.
    @param mode: the permission bits of the file tried.
    @return: whether it worked.
    """
    try:
        fd = _openNoName(directory, mode)
    except OSError:
        return False
    if fd is None:
        return False
    try:
        name = nameAnonymous(fd, b"probe", directory)
    except OSError:
        return False
    finally:
        os.close(fd)
    removeQuietly(name, directory)
    return True


def linkAnonymous(fd, path, directory=None):
    """
    Give a file from L{createAnonymous} the name C{path}, unless a file of
    that name exists (blocking): through its descriptor alone where Linux
    allows it (L{linkEmptyPath}), else through its C{/proc} link; a
    process where the first way was refused and the second worked uses
    only the second from then on.

    @param fd: its descriptor.
    @param path: the name, C{bytes}.
    @param directory: a descriptor of the directory C{path} is relative
        to (the upload's, L{createAnonymous}: wherever it is by now), or
        C{None}.
    @raise FileExistsError: when C{path} exists.
    """
    global _emptyPathWorks
    if _emptyPathWorks is not False:
        if linkEmptyPath(fd, path,
                         AT_FDCWD if directory is None else directory):
            _emptyPathWorks = True
            return
        if _emptyPathWorks is None:
            _linkThroughProc(fd, path, directory)
            _emptyPathWorks = False
            return
    _linkThroughProc(fd, path, directory)


def _linkThroughProc(fd, path, directory):
    """
    L{linkAnonymous} through the descriptor's C{/proc} link.
    """
    # linkat(AT_SYMLINK_FOLLOW) of the descriptor's /proc link names the
    # file itself (Linux's way without CAP_DAC_READ_SEARCH); os.link calls
    # linkat only when given a directory descriptor, which an absolute
    # path makes the kernel ignore.
    os.link(_FD_LINKS + b"%d" % fd, path, src_dir_fd=fd,
            dst_dir_fd=directory, follow_symlinks=True)


def nameAnonymous(fd, target, directory=None):
    """
    Give a file from L{createAnonymous} a new temporary name beside
    C{target} (blocking): how it becomes a partial upload, or replaces a
    file that appeared meanwhile.

    @param fd: its descriptor.
    @param target: the target's path, C{bytes}.
    @param directory: as for L{linkAnonymous}.
    @return: the temporary path, relative to C{directory} when given.
    @raise FileExistsError: when every name tried was taken.
    """
    holdTemporary(fd)
    return _onTemporaryName(
        target, lambda path: linkAnonymous(fd, path, directory))[1]
