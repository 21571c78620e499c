"""
The jail of L{ftpkit.shells.filesystem.FilesystemShell}: what a shell path
(a tuple of segments) names on the disk, below the shell's root and never
through a symbolic link leading out of it (blocking functions, run in
disk threads unless said otherwise).

A path is joined under the root's real path, and the real path (symbolic
links resolved) of whatever it names must stay inside it (L{Jail.walk}).
Symbolic links that stay inside the root work as if they were what they
point at; one leading outside makes the path fail with
L{PermissionDenied}, and a listing describes it by itself
(L{Jail.follow}). Files are opened with C{O_NOFOLLOW} on their resolved
path, with no link allowed anywhere on it (L{openRegular}), so that a
directory swapped for a link since the walk gets a refusal instead of the
outside. Names of uploads not in place (L{ftpkit.shells.uploads.isHidden})
are the server's: no path may name them.
"""

import functools
import os
import stat as statModule
import sys

from ftpkit.errors import InvalidPath, IsDirectory, PermissionDenied
from ftpkit.shells import linkfree, uploads
from ftpkit.shells.cachedopen import (
    NEW_FILE_MODE,
    gaveUp,
    openCached,
    openWithoutLinks,
)
from ftpkit.shells.guardedpaths import checkedReal

_FS_ENCODING = sys.getfilesystemencoding()
_FS_ERRORS = sys.getfilesystemencodeerrors()
"""How C{os.fsencode} encodes a path."""

_HIDDEN_START = os.path.commonprefix([uploads.TEMPORARY_PREFIX,
                                      uploads.PARTIAL_PREFIX])
"""What the names of uploads not in place (L{uploads.isHidden}) start
with."""

_HIDDEN_TEXT = os.fsdecode(_HIDDEN_START)
"""L{_HIDDEN_START} as a segment's text holds it."""

OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
"""Flags for every open: no final link, no hang on FIFOs, no leaking."""

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
"""How L{Jail.openParent} opens a directory (as
L{ftpkit.shells.uploadlocks.holdDirectory} does: it may be held)."""

_PATH_MAX = 4096
"""The system's limit on a path, its NUL included (Linux's C{PATH_MAX}):
a name opened in a directory descriptor could make a file whose whole
path is longer, one no command naming it could then reach."""


_NAME_MAX = 255
"""The longest name, in bytes, every file system of
L{ftpkit.shells.shortcalls.LOCAL_TYPES} takes (Linux's C{NAME_MAX}): a
longer one may fail with C{ENAMETOOLONG}, which L{Jail.openParent} must
see."""


@functools.lru_cache(maxsize=1024)
def jailFor(root):
    """
    The jail of a shell's root, made once per process (a shell is made at
    every login, in the reactor thread).

    @param root: the root as given, C{str} or C{bytes}.
    @return: a L{Jail} of its real path.
    """
    return Jail(os.path.realpath(os.fsencode(root)))


def pastPathLimit(real):
    """
    Whether a path on disk is too long for the system to name
    (L{_PATH_MAX}): the one test of that, for an entry about to be made
    (L{reachable}, which refuses it) and for an upload's target
    (L{Jail.openParent}, which leaves it to L{Jail.walk}).

    @param real: the path, C{bytes}.
    @return: whether it is at or past the limit.
    """
    return len(real) >= _PATH_MAX


def reachable(real):
    """
    Check the path of an entry about to be made (C{MKD}, C{RNTO}) against
    the system's limit (L{_PATH_MAX}): made through its directory's
    descriptor, the kernel lets it pass the limit, and then no command
    naming the entry could reach it (C{CWD}, C{MLST} and C{RNFR} of it
    answered C{550 File name too long}).

    @param real: the path, C{bytes}, its links resolved.
    @return: C{real}.
    @raise InvalidPath: (C{File name too long}) when it is past the limit.
    """
    if pastPathLimit(real):
        raise InvalidPath("File name too long")
    return real


def openRegular(path, flags, mode=NEW_FILE_MODE):
    """
    Open a path that must be a regular file, with no link on the way.

    @param path: the resolved path, C{bytes}.
    @param flags: C{os.open} flags besides L{OPEN_FLAGS}.
    @param mode: permission bits when it is created.
    @return: C{(fd, stat_result)}.
    @raise IsDirectory: for a directory.
    @raise PermissionDenied: for anything else that is not a regular file.
    """
    fd = openWithoutLinks(path, flags | OPEN_FLAGS, mode)
    try:
        result = os.fstat(fd)
        if statModule.S_ISDIR(result.st_mode):
            raise IsDirectory()
        if not statModule.S_ISREG(result.st_mode):
            raise PermissionDenied()
    except BaseException:
        os.close(fd)
        raise
    return fd, result


class Jail:
    """
    The paths below one real root.

    @ivar root: the root's real path, C{bytes}.
    @ivar text: the root's real path as text (C{os.fsdecode}), without a
        final C{/} (C{""} for the machine's root).
    """

    def __init__(self, root):
        """
        @param root: the root's real path, C{bytes}.
        """
        self.root = root
        self.text = os.fsdecode(root.rstrip(b"/"))
        # What joined puts before a path's name (every open's).
        self._below = root.rstrip(b"/") + b"/"

    def localPath(self, path):
        """
        L{joined} as text, for
        L{ftpkit.interfaces.IFTPShellLocalPath.localPath} (once per
        complete upload): the segments joined as they are, looked at
        one by one only where a hidden upload's name may be.

        @param path: a tuple of segments.
        @return: the path, C{str}; or C{None} for the name of an upload
            not in place (where L{joined} gives none for it). A segment
            with no file system name, for which L{joined} gives none too,
            is not looked for: no upload stored a file under it.
        """
        if not path:
            return self.text or "/"
        below = "/".join(path)
        if _HIDDEN_TEXT in below and self.joined(path) is None:
            return None
        return self.text + "/" + below

    def inside(self, real):
        """
        @param real: a resolved path, C{bytes}.
        @return: whether it is the root or below it.
        """
        return real == self.root or real.startswith(self.root.rstrip(b"/") + b"/")

    def walk(self, path, followLast=True):
        """
        Find the real path of a shell path, and what the walk learnt of
        its last segment, so that a caller needing the file's C{stat} (an
        upload's open) does not ask the kernel again.

        The root is already real, so only the segments below it are
        looked at: one C{lstat} each, and a full C{realpath} only where a
        segment is a symbolic link.

        @param path: a tuple of segments.
        @param followLast: resolve the last segment too; otherwise only its
            parent is, so that the entry itself (maybe a link) is named.
        @return: C{(real, found)}: the path, C{bytes}; and the
            C{stat_result} of what it names where the walk read it (the
            last segment's C{lstat}, not a symbolic link), C{False} where
            that C{lstat} found nothing there, else C{None} (not known).
        @raise PermissionDenied: when it leads outside the root, or
            where the rule of a L{ftpkit.shells.guardedpaths.Guarded}
            path does not allow what it reached (this walk's path, which
            the caller acts on: a link swapped since an earlier walk
            cannot lead it past the rule).
        @raise InvalidPath: when a segment names an upload not in place.
        @raise UnicodeEncodeError: when a segment has no file system name.
        """
        segments = _encoded(path)
        if not segments:
            return self.root, None
        toFollow = segments if followLast else segments[:-1]
        last = len(segments) - 1 if followLast else -1
        current = self.root
        found = None
        for index, segment in enumerate(toFollow):
            if current.endswith(b"/"):
                candidate = current + segment
            else:
                candidate = current + b"/" + segment
            try:
                result = os.lstat(candidate)
            except OSError as e:
                # Missing (or unreadable): nothing below can be a link.
                if index == last and isinstance(e, FileNotFoundError):
                    found = False
                current = b"/".join([candidate, *toFollow[index + 1:]])
                break
            if statModule.S_ISLNK(result.st_mode):
                candidate = os.path.realpath(candidate)
                if not self.inside(candidate) or _leadsNowhere(candidate):
                    raise PermissionDenied()
            elif index == last:
                found = result
            current = candidate
        if not followLast:
            current = os.path.join(current, segments[-1])
        return checkedReal(path, current, self.segmentsOf), found

    def openParent(self, path, local=False):
        """
        What L{walk} gives for an upload's target, without walking: the
        target's directory is opened from the kernel's dentry cache with
        no symbolic link allowed on the way (L{openCached}), and the last
        segment looked up in it. A path with no link on it is its own
        real path, below the root: the C{lstat} of each directory on the
        way (a system call and a C{stat_result} each, every upload) tells
        nothing more, and the upload of a new name holds that directory
        open anyway (L{ftpkit.shells.uploadlocks.holdDirectory}).

        On a local file system (C{local}) a name no longer than
        L{_NAME_MAX} is first asked for with C{os.access}, which tells a
        missing name without the C{FileNotFoundError} an C{lstat} raises
        (made, raised and caught for every upload of a new name). There
        it fails as C{lstat} would fail only for a missing name, but in
        a directory this process may not search, where the upload's own
        open in it then fails as the walk's C{lstat} would have. Other
        names, and every name elsewhere, are looked up with C{lstat}.

        @param path: a tuple of segments, at least one.
        @param local: the target's file system is of a local kind
            (L{ftpkit.shells.shortcalls.LOCAL_TYPES}: the caller runs at
            once, L{ftpkit.shells.shortcalls.ShortCalls}).
        @return: C{(real, found, directory)}: the target's path and what
            is there, as L{walk} gives them (C{found} never C{None}), and
            a descriptor of its directory, the caller's to close; or
            C{None} where L{walk} has to find them: a link on the way or
            last, a directory not in the cache or not there, no
            C{openat2}, a segment with no file system name, a path past
            the system's limit.
        @raise PermissionDenied: where the rule of a
            L{ftpkit.shells.guardedpaths.Guarded} path does not allow the
            target.
        """
        if gaveUp() or not path:
            return None
        real = self.joined(path)
        if real is None or pastPathLimit(real):
            return None
        parent, _, name = real.rpartition(b"/")
        directory = openCached(parent or b"/", _DIRECTORY_FLAGS)
        if directory is None:
            return None
        try:
            if local and len(name) <= _NAME_MAX and not os.access(
                    name, os.F_OK, dir_fd=directory, effective_ids=True,
                    follow_symlinks=False):
                found = False
            else:
                found = os.lstat(name, dir_fd=directory)
        except FileNotFoundError:
            found = False
        except OSError:
            found = None
        if found is None or (found and statModule.S_ISLNK(found.st_mode)):
            os.close(directory)
            return None
        try:
            checkedReal(path, real, self.segmentsOf)
        except BaseException:
            os.close(directory)
            raise
        return real, found, directory

    def joined(self, path):
        """
        The path a shell path names under the root, its links not looked
        at (no call to the kernel): for an open that allows none on the
        way (L{ftpkit.shells.cachedopen.openCached}).

        @param path: a tuple of segments.
        @return: the path, C{bytes}; or C{None} where a segment has no
            file system name or names an upload not in place.
        """
        if not path:
            return self.root.rstrip(b"/")
        # Encoded whole (the encoding has no state, so this is the
        # segments' names joined), and looked at segment by segment only
        # where a hidden upload's name may be: an upload's open pays no
        # list and no call for each segment. Looked for in the text (its
        # ASCII encodes as itself): bytes' "in" first tries its operand as
        # an integer, an exception made and cleared at every open.
        text = "/".join(path)
        try:
            if _HIDDEN_TEXT in text:
                _encoded(path)
            encoded = text.encode(_FS_ENCODING, _FS_ERRORS)
        except (UnicodeEncodeError, InvalidPath):
            return None
        return self._below + encoded

    def segmentsOf(self, real):
        """
        @param real: a resolved path in the root, C{bytes}.
        @return: its segments under the root.
        """
        below = real[len(self.root):].strip(b"/")
        return tuple(segment.decode(_FS_ENCODING, _FS_ERRORS)
                     for segment in below.split(b"/") if segment)

    def linkTargets(self, directory, links):
        """
        Where the symbolic links of a directory lead: a C{realpath} each.

        @param directory: the directory's resolved path, C{str}.
        @param links: the names of its links, C{str}.
        @return: a C{dict} from each name to the segments of its target
            under the root, or C{None} where it leads outside.
        """
        targets = {}
        for name in links:
            target = os.path.realpath(
                os.fsencode(os.path.join(directory, name)))
            targets[name] = (self.segmentsOf(target) if self.inside(target)
                             else None)
        return targets

    def follow(self, path, linkStat):
        """
        Describe a symbolic link met in a listing: by its target when it
        stays inside the root (and exists), by itself otherwise: with its
        text (L{LinkStat}) when it leads inside the root (to nothing, or
        in a loop), without it when it leads out, whose text would tell
        what is outside the root.

        @param path: the link's path, C{str}.
        @param linkStat: its C{lstat} result.
        @return: the C{os.stat} result that describes it, or a
            L{LinkStat}.
        """
        real = os.path.realpath(os.fsencode(path))
        if not self.inside(real):
            return linkStat
        try:
            result = linkfree.statOf(real)
        except OSError:
            return withText(path, linkStat)
        # realpath gives a loop's link back as it is (_leadsNowhere).
        if statModule.S_ISLNK(result.st_mode):
            return withText(path, linkStat)
        return result


def withText(path, linkStat):
    """
    @param path: a symbolic link's path, C{str}.
    @param linkStat: its C{lstat} result.
    @return: a L{LinkStat} of them, or C{linkStat} when the link cannot
        be read (gone meanwhile).
    """
    try:
        return LinkStat(linkStat, os.readlink(path))
    except OSError:
        return linkStat


class LinkStat:
    """
    The C{lstat} result of a symbolic link a listing does not follow, and
    the link's text: what L{Jail.follow} gives for it, which the listing
    formats read as they read any C{os.stat} result, and which tells
    C{LIST} and L{ftpkit.shells.disklistings.describe} the target
    (L{ftpkit.fileinfo.FileInfo.target}).

    @ivar result: the C{os.stat_result}.
    @ivar target: the link's text, C{str} (as C{os.readlink} gives it).
    """

    __slots__ = ("result", "target")

    def __init__(self, result, target):
        """
        @param result: see L{result}.
        @param target: see L{target}.
        """
        self.result = result
        self.target = target

    def __getattr__(self, name):
        """
        @param name: an attribute of C{os.stat_result} (C{st_mode}, ...).
        @return: the result's.
        @raise AttributeError: for a name not starting C{st_}.
        """
        if not name.startswith("st_"):
            raise AttributeError(name)
        return getattr(self.result, name)

    def __getitem__(self, index):
        """
        @param index: an index of C{os.stat_result}'s tuple.
        @return: the result's.
        """
        return self.result[index]


def _leadsNowhere(real):
    """
    @param real: what C{os.path.realpath} gave for a symbolic link.
    @return: whether it is a link still: C{realpath} gives up on a loop
        of links (C{ELOOP}) and returns a link of the loop, which no
        call following it can reach.
    """
    try:
        return statModule.S_ISLNK(os.lstat(real).st_mode)
    except OSError:
        return False


def _encoded(path):
    """
    @param path: a tuple of segments.
    @return: their file system names, C{bytes} (C{os.fsencode} without
        its calls per segment).
    @raise InvalidPath: when a segment names an upload not in place.
    @raise UnicodeEncodeError: when a segment has no file system name.
    """
    segments = [segment.encode(_FS_ENCODING, _FS_ERRORS) for segment in path]
    for segment in segments:
        if segment.startswith(_HIDDEN_START) and uploads.isHidden(segment):
            raise InvalidPath()
    return segments
