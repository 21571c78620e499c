"""
L{LinkFreeLocalFileSystem}: the calls L{ftpkit.shells.fsspecshell.FsspecShell}
makes on the local disk (C{file://}), made without following a symbolic
link (blocking).

fsspec's local filesystem takes paths and follows every link on them. The
shell resolves its paths first and checks that they stay in its root
(L{ftpkit.shells.fsspecposix.LocalBackend.confine}), so that the path
it then uses has no link left in it; but a local user who swaps a
directory on that path for a link out of the root before the call would
lead the call outside (a download of a file elsewhere, an upload or a
removal elsewhere). So each call here opens what it works on with no link
allowed on the way, as the disk realm does (L{ftpkit.shells.linkfree}):
such a swap makes the call fail with C{ELOOP}. Where Linux's C{openat2}
is missing, the opens follow links as fsspec's do.
"""

import os
import stat as statModule

from ftpkit.compat.fsspecnames import stripProtocol
from ftpkit.shells import linkfree
from ftpkit.shells.cachedopen import openWithoutLinks
from ftpkit.shells.diskpaths import withText

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

_OPEN_FLAGS = {
    "rb": os.O_RDONLY,
    "wb": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "ab": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "r+b": os.O_RDWR,
    "xb": os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND,
}
"""The C{os.open} flags of each mode the shell opens files in (with
C{O_NONBLOCK}: a FIFO put in a file's place since the shell looked at it
must not hold a thread waiting for its other end)."""

_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC


def _kindOf(mode):
    """
    @param mode: a C{st_mode}.
    @return: the fsspec type of what has it (C{"link"} for a symbolic
        link, which fsspec itself never says).
    """
    if statModule.S_ISDIR(mode):
        return "directory"
    if statModule.S_ISREG(mode):
        return "file"
    if statModule.S_ISLNK(mode):
        return "link"
    return "other"


def _detail(name, result, islink=False):
    """
    @param name: a path.
    @param result: the C{stat_result} describing it.
    @param islink: whether C{name} is a symbolic link.
    @return: its entry, as C{fs.info} gives it: a link described by itself
        (type C{"link"}) with its text as C{"destination"}, as fsspec's
        C{info} gives it, where C{result} has it
        (L{ftpkit.shells.diskpaths.LinkStat}).
    """
    detail = {"name": name, "size": result.st_size,
              "type": _kindOf(result.st_mode), "mode": result.st_mode,
              "mtime": result.st_mtime, "islink": islink}
    target = getattr(result, "target", None) if islink else None
    if target is not None:
        detail["destination"] = target
    return detail


class LinkFreeLocalFileSystem:
    """
    The local disk as the fsspec shell uses it, on paths with every link
    resolved (L{ftpkit.shells.fsspecposix.LocalBackend.confine}), with
    no link followed: see the module's description.

    @ivar fs: fsspec's local filesystem, for what needs no path.
    @ivar root_marker: fsspec's name of the top (C{"/"}).
    """

    def __init__(self, fs, root):
        """
        @param fs: fsspec's local filesystem.
        @param root: the shell's root: a link met in a listing is described
            by what it leads to only when that is in the root.
        """
        self.fs = fs
        self.root_marker = fs.root_marker
        self._realRoot = os.path.realpath(root or "/")

    def _strip_protocol(self, path):
        """
        See fsspec's C{AbstractFileSystem._strip_protocol}, which
        L{ftpkit.compat.fsspecnames.stripProtocol} calls on this too.
        """
        return stripProtocol(self.fs, path)

    def _inside(self, real):
        """
        @param real: a path with no link left in it.
        @return: whether it is the root or below it.
        """
        return (real == self._realRoot
                or real.startswith(self._realRoot.rstrip("/") + "/"))

    def info(self, path):
        """
        @param path: a resolved path.
        @return: its entry, as fsspec's C{info} gives it.
        @raise OSError: C{ELOOP} when a link is on the way now.
        """
        return _detail(path, linkfree.statOf(os.fsencode(path)))

    def ls(self, path, detail=True):
        """
        @param path: a resolved path of a directory.
        @param detail: ignored: the entries are always given.
        @return: the entries of the directory, as fsspec's C{ls} gives
            them; a link by what it leads to where that is in the root and
            exists, by itself (type C{"link"}) otherwise.
        @raise NotADirectoryError: for a file.
        """
        return list(self.entries(path))

    def entries(self, path):
        """
        The entries L{ls} gives, one at a time (a blocking generator): the
        directory stays open until the generator ends or is closed.

        @param path: as for L{ls}.
        @return: an iterator of the entries.
        @raise NotADirectoryError: for a file (from the first entry).
        """
        fd = openWithoutLinks(os.fsencode(path), _DIRECTORY_FLAGS)
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    try:
                        result = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    name = path.rstrip("/") + "/" + entry.name
                    islink = statModule.S_ISLNK(result.st_mode)
                    if islink:
                        result = self._follow(name, result)
                    yield _detail(name, result, islink)
        finally:
            os.close(fd)

    def entry(self, path):
        """
        One entry of a directory, as L{entries} gives it, found by its
        name alone (one C{lstat}, and what a link leads to), not by reading
        the directory.

        @param path: a path whose directory is resolved.
        @return: its entry; C{None} when nothing is there.
        @raise OSError: C{ELOOP} when a link is on the way to its directory.
        """
        try:
            result = linkfree.statOf(os.fsencode(path))
        except FileNotFoundError:
            return None
        islink = statModule.S_ISLNK(result.st_mode)
        if islink:
            result = self._follow(path, result)
        return _detail(path, result, islink)

    def hasEntries(self, path):
        """
        @param path: a resolved path of a directory.
        @return: whether it holds any entry (reserved names included), read
            up to the first one, not whole.
        @raise NotADirectoryError: for a file.
        """
        fd = openWithoutLinks(os.fsencode(path), _DIRECTORY_FLAGS)
        try:
            with os.scandir(fd) as entries:
                return next(entries, None) is not None
        finally:
            os.close(fd)

    def links(self, path):
        """
        @param path: a resolved path of a directory.
        @return: a C{dict} from the name of each symbolic link in it to
            the real path it leads to (wherever that is).
        @raise NotADirectoryError: for a file.
        """
        fd = openWithoutLinks(os.fsencode(path), _DIRECTORY_FLAGS)
        try:
            with os.scandir(fd) as entries:
                names = [entry.name for entry in entries if entry.is_symlink()]
        finally:
            os.close(fd)
        return {name: os.path.realpath(path.rstrip("/") + "/" + name)
                for name in names}

    def _follow(self, name, linkStat):
        """
        @param name: a link's path.
        @param linkStat: its C{lstat}.
        @return: the C{stat_result} of what it leads to, where that is in
            the root and exists; else C{linkStat}, with the link's text
            where it leads inside the root, as
            L{ftpkit.shells.diskpaths.Jail.follow} gives it.
        """
        real = os.path.realpath(name)
        if not self._inside(real):
            return linkStat
        try:
            result = linkfree.statOf(os.fsencode(real))
        except OSError:
            return withText(name, linkStat)
        # realpath gives a loop's link back as it is.
        if statModule.S_ISLNK(result.st_mode):
            return withText(name, linkStat)
        return result

    def find(self, path, withdirs=False, detail=False):
        """
        Everything below a directory, links not followed and counted as
        themselves (type C{"link"}, no size): the quotas' measure.

        @param path: a resolved path of a directory.
        @param withdirs: include the directories.
        @param detail: give a C{dict} of entries rather than a list of
            paths.
        @return: the paths, or with C{detail} a C{dict} from path to entry.
        @raise FileNotFoundError: when there is nothing there.
        """
        found = {}
        waiting = [path]
        while waiting:
            for entry in self.ls(waiting.pop()):
                if entry["islink"]:
                    entry = dict(entry, type="link", size=0)
                isDirectory = entry["type"] == "directory"
                if isDirectory:
                    waiting.append(entry["name"])
                if withdirs or not isDirectory:
                    found[entry["name"]] = entry
        return found if detail else sorted(found)

    def open(self, path, mode="rb", **options):
        """
        @param path: a resolved path.
        @param mode: C{"rb"}, C{"wb"}, C{"ab"}, C{"r+b"} or C{"xb"}.
        @param options: fsspec's options of C{open} (ignored).
        @return: a file object.
        @raise PermissionError: when what is there is not a regular file.
        """
        fd = openWithoutLinks(os.fsencode(path),
                              _OPEN_FLAGS[mode] | os.O_NONBLOCK | _CLOEXEC,
                              0o666)
        try:
            if not statModule.S_ISREG(os.fstat(fd).st_mode):
                raise PermissionError(path)
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, mode)

    def rm_file(self, path):
        """
        Remove the file (or the link) that a path names.

        @param path: a path whose directory is resolved.
        """
        linkfree.inParent(os.fsencode(path), linkfree.unlinkFile)

    def mkdir(self, path, create_parents=False):
        """
        Make a directory in an existing one.

        @param path: a path whose directory is resolved.
        @param create_parents: ignored: the parent must exist.
        """
        linkfree.inParent(os.fsencode(path),
                          lambda name, fd: os.mkdir(name, dir_fd=fd))

    def rmdir(self, path):
        """
        Remove an empty directory.

        @param path: a path whose directory is resolved.
        """
        linkfree.inParent(os.fsencode(path),
                          lambda name, fd: os.rmdir(name, dir_fd=fd))

    def mv(self, source, target, **options):
        """
        Rename, replacing a file that has the new name.

        @param source: a path whose directory is resolved.
        @param target: another.
        @param options: fsspec's options of C{mv} (ignored).
        """
        linkfree.inParents(
            os.fsencode(source), os.fsencode(target),
            lambda sourceName, sourceFd, targetName, targetFd: os.rename(
                sourceName, targetName, src_dir_fd=sourceFd,
                dst_dir_fd=targetFd))

    def link(self, source, target):
        """
        Give a file a second name, which must be free (C{link(2)}).

        @param source: a path whose directory is resolved.
        @param target: another.
        @raise FileExistsError: when something has the name.
        """
        linkfree.inParents(
            os.fsencode(source), os.fsencode(target),
            lambda sourceName, sourceFd, targetName, targetFd: os.link(
                sourceName, targetName, src_dir_fd=sourceFd,
                dst_dir_fd=targetFd, follow_symlinks=False))

    def utime(self, path, when):
        """
        Set what a path names's access and modification times.

        @param path: a resolved path.
        @param when: seconds since the epoch.
        """
        linkfree.onItself(os.fsencode(path),
                          lambda itself: os.utime(itself, (when, when)))
