"""
L{MemoryShell}: a whole file tree held in memory.

It is meant for tests and as the example to copy when writing a shell:
every method of L{ftpkit.interfaces.IFTPShell} is here, each returning an
already-fired L{Deferred} (but C{hash} of a large file, which runs in a
thread: see L{MemoryShell.hash}). Its tree is in L{ftpkit.shells.memorytree};
its open files (L{ftpkit.shells.memoryfiles}) are the simple kind the
server adapts to producers and consumers (L{ftpkit.shells.adapters}):

  - L{MemoryReadFile} (an L{IRandomReadFile}) reads a snapshot at an
    offset;
  - L{MemoryWriteFile} (an L{IRandomWriteFile}) collects the upload,
    which its C{close} commits in one step, so readers see the old
    content until the upload is complete; meanwhile the directory it
    is stored in is neither removed nor renamed
    (L{ftpkit.shells.memoryuploads}); one written in place, cut, is
    stored as far as it came (L{MemoryInPlaceWriteFile}).

(Each also keeps the C{send} or C{receive} of the producer/consumer
files it used to have, for code that calls them directly; a new storage
needs neither.)

A shell given C{maxBytes} holds at most that many bytes, its files and the
uploads in progress together (L{Budget}): an upload that would pass it
is cut with L{QuotaExceeded} (C{552}) and nothing of it is kept, so that
uploaders cannot fill the server's memory (C{--realm memory:SIZE}); the
bytes its commit frees count as room (L{ftpkit.shells.memoryroom}). It
also holds at most one file or directory per L{BYTES_PER_ENTRY} bytes of
that (L{MIN_ENTRIES} at least): an entry costs memory though it holds no
byte, and a flood of C{MKD}s or empty uploads would otherwise fill it too.

A storage whose calls block would run them with
L{ftpkit.blocking.BlockingPool} and return its L{Deferred}s instead.
"""

import functools
import time

from zope.interface import alsoProvides, implementer

from ftpkit.data.producers import CHUNK_SIZE, BytesProducer
from ftpkit.errors import (
    AlreadyExists,
    DirectoryNotEmpty,
    DirectoryOverFileQuota,
    FileReplaced,
    IsDirectory,
    MovedIntoItself,
    NoSuchFile,
    NotDirectory,
    PermissionDenied,
    RestPastEnd,
)
from ftpkit.interfaces import (
    IFTPShell,
    IFTPShellAvailable,
    IFTPShellCreate,
    IFTPShellHash,
    IFTPShellListSome,
    IFTPShellNames,
    IFTPShellStreamedListing,
)
from ftpkit.shells.digests import newDigest
from ftpkit.shells.fired import fired
from ftpkit.shells.memorycontent import Content
from ftpkit.shells.memoryfiles import (
    MemoryInPlaceWriteFile,
    MemoryReadFile,
    MemoryWriteFile,
)
from ftpkit.shells.memoryhash import HASH_AT_ONCE, checksumRead
from ftpkit.shells.memorylistings import MemoryListing
from ftpkit.shells.memoryroom import freedBy, replacedBy
from ftpkit.shells.memorytree import (
    BYTES_PER_ENTRY,
    MIN_ENTRIES,
    Budget,
    DirectoryNode,
    FileNode,
)
from ftpkit.shells.memoryuploads import UploadsInProgress

__all__ = ["MemoryShell", "BytesProducer", "CHUNK_SIZE", "BYTES_PER_ENTRY",
           "MIN_ENTRIES", "HASH_AT_ONCE"]

@implementer(IFTPShell, IFTPShellHash, IFTPShellNames, IFTPShellCreate,
             IFTPShellListSome, IFTPShellStreamedListing)
class MemoryShell:
    """
    A shell whose files live in a C{dict} tree.

    Several sessions may share one instance (see L{ftpkit.auth.realms.MemoryRealm}):
    everything happens in the reactor thread, so no locking is needed.
    """

    def __init__(self, files=None, clock=None, maxBytes=None,
                 onTheirWay=None, reclaim=None, targetOf=None):
        """
        @param files: optional C{dict} mapping absolute path text such as
            C{"/a/b.txt"} to C{bytes}; the directories they need are made.
        @param clock: an L{twisted.internet.interfaces.IReactorTime} giving
            modification times; the system clock when omitted.
        @param maxBytes: the most bytes the shell holds, its files and the
            uploads in progress together, or C{None} for no limit.
            C{files} count towards it, but are never refused. It also
            bounds the files and directories (see L{maxEntries}); with
            it, the shell provides L{IFTPShellAvailable}.
        @param onTheirWay: tells the names of new files on their way to
            another file's name (C{name -> bool}), or C{None}: an upload
            under a hidden name that a wrapper renames over its target
            once complete (L{ftpkit.shells.keptuploads}). Such a file is
            stored even past L{maxEntries}: replacing a file needs no
            room for a new one. Renamed to a name that holds no file, it
            then needs room (L{QuotaExceeded} otherwise).
        @param reclaim: frees room where it lacks, before anything is
            refused (L{Budget.reclaim}), or C{None}.
        @param targetOf: see L{ftpkit.shells.memoryroom.replacedBy}: a
            file on its way to a target has its bytes as room.
        """
        self._onTheirWay = onTheirWay
        self._targetOf = targetOf
        self._clock = clock
        self._budget = Budget(maxBytes)
        self._budget.reclaim = reclaim
        self._creating = set()
        self._uploads = UploadsInProgress()
        if maxBytes is not None:
            # Only a bounded shell knows how much room it has left.
            alsoProvides(self, IFTPShellAvailable)
        self._root = DirectoryNode(self._now())
        for text, data in (files or {}).items():
            segments = tuple(segment for segment in text.split("/") if segment)
            directory = self._root
            for segment in segments[:-1]:
                child = directory.children.get(segment)
                if child is None:
                    child = DirectoryNode(self._now())
                    self._place(directory, segment, child)
                directory = child
            self._place(directory, segments[-1], FileNode(self._now(), data))

    @property
    def maxBytes(self):
        """
        @return: the most bytes the shell holds, or C{None} for no limit.
        """
        return self._budget.limit

    @property
    def bytesHeld(self):
        """
        @return: the bytes the shell holds now: its files' and those
            received by uploads in progress.
        """
        return self._budget.used

    @property
    def maxEntries(self):
        """
        @return: the most files and directories the shell holds (one per
            L{BYTES_PER_ENTRY} bytes of C{maxBytes}, at least
            L{MIN_ENTRIES}), or C{None} for no limit.
        """
        return self._budget.maxEntries

    @property
    def entriesHeld(self):
        """
        @return: the files and directories the shell holds now.
        """
        return self._budget.entries

    def _now(self):
        """
        @return: the current time, seconds since the epoch.
        """
        return self._clock.seconds() if self._clock else time.time()

    def _lookup(self, path):
        """
        Find the node of a path.

        @param path: a tuple of segments.
        @return: the L{FileNode} or L{DirectoryNode}.
        @raise NoSuchFile: when it does not exist.
        @raise NotDirectory: when a parent is a file.
        """
        node = self._root
        for segment in path:
            if not isinstance(node, DirectoryNode):
                raise NotDirectory()
            if segment not in node.children:
                raise NoSuchFile()
            node = node.children[segment]
        return node

    def _place(self, directory, name, node):
        """
        Put a new C{node} in C{directory} as C{name}, replacing what was
        there (see L{_put}), and count a file's bytes as held
        (L{Budget.used}).

        @param directory: a L{DirectoryNode}.
        @param name: the entry's name.
        @param node: a L{FileNode} or L{DirectoryNode} not in the tree.
        """
        if isinstance(node, FileNode):
            self._budget.used += node.content.size
        self._put(directory, name, node)

    def _put(self, directory, name, node):
        """
        Put C{node}, whose bytes are counted already, in C{directory} as
        C{name}: a file replaced there leaves the tree
        (L{FileNode.left}), else the entries count one more.

        @param directory: a L{DirectoryNode}.
        @param name: the entry's name.
        @param node: a L{FileNode} or L{DirectoryNode} not in the tree.
        """
        old = directory.children.get(name)
        if old is None:
            self._budget.entries += 1
        elif isinstance(old, FileNode):
            old.left(self._budget)
        directory.children[name] = node

    def _parent(self, path):
        """
        Find the directory that holds (or would hold) a path.

        @param path: a non-empty tuple of segments.
        @return: the parent L{DirectoryNode}.
        @raise NoSuchFile: when the parent does not exist.
        @raise NotDirectory: when the parent is a file.
        """
        return self._directoryAt(path[:-1])

    @fired
    def stat(self, path):
        """
        See L{IFTPShell.stat}.
        """
        return self._lookup(path).info()

    @fired
    def list(self, path):
        """
        See L{IFTPShell.list}.
        """
        directory = self._directoryAt(path)
        return [
            (name, directory.children[name].info())
            for name in sorted(directory.children)
        ]

    @fired
    def listNames(self, path):
        """
        See L{IFTPShellNames.listNames}.
        """
        return sorted(self._directoryAt(path).children)

    @fired
    def openListing(self, path):
        """
        See L{IFTPShellStreamedListing.openListing}: a
        L{ftpkit.shells.memorylistings.MemoryListing}, which also names
        the entries alone.
        """
        return MemoryListing(self._directoryAt(path))

    @fired
    def listSome(self, path, names):
        """
        See L{ftpkit.interfaces.IFTPShellListSome.listSome}.
        """
        children = self._directoryAt(path).children
        return [(name, children[name].info()) for name in names
                if name in children]

    def _directoryAt(self, path):
        """
        @return: the L{DirectoryNode} at C{path}.
        @raise NoSuchFile: when nothing is there.
        @raise NotDirectory: when something else is there.
        """
        directory = self._lookup(path)
        if not isinstance(directory, DirectoryNode):
            raise NotDirectory()
        return directory

    @fired
    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        if not path:
            raise AlreadyExists()
        parent = self._parent(path)
        if path[-1] in parent.children:
            raise AlreadyExists()
        if not self._budget.roomForEntry():
            raise self._budget.tooMany(DirectoryOverFileQuota)
        self._place(parent, path[-1], DirectoryNode(self._now()))
        parent.mtime = self._now()

    @fired
    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}.
        """
        if not path:
            raise PermissionDenied()
        directory = self._lookup(path)
        if not isinstance(directory, DirectoryNode):
            raise NotDirectory()
        if directory.children:
            raise DirectoryNotEmpty()
        self._uploads.checkRemoval(path)
        self._remove(path)

    @fired
    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}.
        """
        if isinstance(self._lookup(path), DirectoryNode):
            raise IsDirectory()
        self._remove(path)

    def _remove(self, path):
        """
        Take an existing entry out of the tree for good.

        @param path: a non-empty tuple of segments that exists.
        """
        node = self._take(path)
        if isinstance(node, FileNode):
            node.left(self._budget)

    def _take(self, path):
        """
        Take an existing entry out of its directory, its bytes still
        counted (for L{_put} elsewhere, or L{FileNode.left}).

        @param path: a non-empty tuple of segments that exists.
        @return: the entry's node.
        """
        parent = self._parent(path)
        node = parent.children.pop(path[-1])
        self._budget.entries -= 1
        parent.mtime = self._now()
        return node

    @fired
    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}.

        The root cannot be renamed or replaced, nothing replaces a
        directory (L{AlreadyExists}), a directory does not replace a file
        (L{NotDirectory}), and a directory cannot move into itself
        (L{MovedIntoItself}); those are the rules of POSIX C{rename}, minus
        replacing an empty directory.
        """
        if not fromPath or not toPath:
            raise PermissionDenied()
        node = self._lookup(fromPath)
        target = self._parent(toPath)
        if fromPath == toPath:
            return
        if toPath[: len(fromPath)] == fromPath:
            raise MovedIntoItself()
        existing = target.children.get(toPath[-1])
        if isinstance(existing, DirectoryNode):
            raise AlreadyExists()
        if existing is not None and isinstance(node, DirectoryNode):
            raise NotDirectory()
        if isinstance(node, DirectoryNode):
            self._uploads.checkRename(fromPath)
        if (node.overdrawn and existing is None
                and self._budget.overLimit()):
            raise self._budget.tooMany()
        node.overdrawn = False
        self._take(fromPath)
        self._put(target, toPath[-1], node)
        target.mtime = self._now()

    @fired
    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}.

        The file is read from a snapshot taken now, so a concurrent upload
        never mixes two versions into one download; the snapshot's bytes
        count in C{maxBytes} until the download is closed, even once the
        file is replaced or removed (L{FileNode}).
        """
        node = self._lookup(path)
        if isinstance(node, DirectoryNode):
            raise IsDirectory()
        node.opened()
        return MemoryReadFile(node.content.snapshot(), offset,
                              functools.partial(node.closed, self._budget))

    @fired
    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}.

        Nothing changes before L{IRandomWriteFile.close}, whatever the mode.
        A resume (an C{offset}) or an append continues the file there now:
        it is stored only if the path still names that file then
        (L{_resume}), complete or cut (L{MemoryInPlaceWriteFile}, as a
        file written in place on disk). A resume past the file's end, or
        of no file, is refused (L{RestPastEnd}), as on the disk: it was
        padded with zero bytes the client never sent (the server checks
        the offset first, but the file may shrink, replaced by another
        session's upload, between that check and this open).
        """
        if not path:
            raise IsDirectory()
        existing = self._parent(path).children.get(path[-1])
        if isinstance(existing, DirectoryNode):
            raise IsDirectory()
        if offset and not append and (
                existing is None or offset > existing.content.size):
            raise RestPastEnd()
        ended = self._uploads.add(path)
        freed = functools.partial(freedBy, self._parent, self._targetOf,
                                  path, offset, append, existing)
        if offset or append:
            resume = functools.partial(self._resume, path, offset, append,
                                       existing)
            return MemoryInPlaceWriteFile(
                self._budget, resume, functools.partial(resume, cut=True),
                ended=ended, freed=freed)
        return MemoryWriteFile(
            self._budget, functools.partial(self._commit, path, 0, False),
            ended=ended, freed=freed)

    @fired
    def openForCreating(self, path):
        """
        See L{IFTPShellCreate.openForCreating}: the name is reserved for
        the upload until it ends, so that another upload creating it
        meanwhile (a second C{STOU}) is refused at once.
        """
        if not path:
            raise IsDirectory()
        parent = self._parent(path)
        reserved = (parent, path[-1])
        if path[-1] in parent.children or reserved in self._creating:
            raise AlreadyExists()
        self._creating.add(reserved)
        uploaded = self._uploads.add(path)

        def ended():
            self._creating.discard(reserved)
            uploaded()
        return MemoryWriteFile(
            self._budget, functools.partial(
                self._commit, path, 0, False, exclusive=True),
            ended=ended)

    def _resume(self, path, offset, append, continued, data, cut=False):
        """
        Store the result of a resumed or appended upload, if its path
        still names the file it continues: one another upload replaced,
        or a command removed or renamed, meanwhile would otherwise lend
        its first bytes to the upload's (or zero bytes, where it is gone;
        or nothing, an append making a file of its own bytes alone), as
        no file ever held them.

        @param path: the file's path.
        @param offset: the byte the upload started at.
        @param append: whether the upload is appended.
        @param continued: the L{FileNode} at C{path} when the upload
            started, or C{None}.
        @param data: the uploaded bytes (a
            L{ftpkit.shells.memorycontent.Content}).
        @param cut: see L{_commit}.
        @raise FileReplaced: when C{path} names another file, or none.
        """
        if self._parent(path).children.get(path[-1]) is not continued:
            raise FileReplaced()
        self._commit(path, offset, append, data, cut=cut)

    def _commit(self, path, offset, append, data, exclusive=False,
                cut=False):
        """
        Store the result of an upload.

        @param path: the file's path.
        @param offset: the byte the upload started at (0 to replace).
        @param append: whether the upload is appended.
        @param data: the uploaded bytes, a
            L{ftpkit.shells.memorycontent.Content} (no longer counted as
            held by the upload).
        @param exclusive: store it only as a new file.
        @param cut: the upload, a resume, was cut: the file's bytes past
            the last one it wrote stay (written in place, it wrote over
            those it reached), where a complete one ends the file there.
        @raise FTPError: when the path no longer suits a file
            (L{AlreadyExists} when it must be new and is not).
        @raise QuotaExceeded: when the file would not fit in C{maxBytes},
            or a new file in L{MemoryShell.maxEntries}.
        """
        parent = self._parent(path)
        existing = parent.children.get(path[-1])
        if isinstance(existing, DirectoryNode):
            raise IsDirectory()
        if exclusive and existing is not None:
            raise AlreadyExists()
        overdrawn = existing is None and not self._budget.roomForEntry()
        if overdrawn and not (self._onTheirWay
                              and self._onTheirWay(path[-1])):
            raise self._budget.tooMany()
        old = existing.content if existing is not None else Content()
        end = (old.size if append else offset) + data.size
        size = max(end, old.size) if cut else end
        # A file a download reads stays held once replaced (FileNode).
        freed = 0 if existing is None or existing.readers else old.size
        freed += replacedBy(self._parent, self._targetOf, path)
        if not self._budget.fits(size - freed):
            raise self._budget.full()
        if append or offset:
            # The old content's chunks are shared, not copied: appending
            # costs what is appended, whatever the file's size.
            content = old.truncated(old.size if append else offset)
            content.extend(data)
            if cut:
                for piece in old.pieces(end):
                    content.append(piece)
            data = content
        node = FileNode(self._now(), content=data)
        node.overdrawn = overdrawn
        self._place(parent, path[-1], node)
        parent.mtime = self._now()

    @fired
    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}.
        """
        self._lookup(path).mtime = when

    @fired
    def available(self, path):
        """
        See L{IFTPShellAvailable.available}: what L{maxBytes} leaves
        beside L{bytesHeld} (provided only with a L{maxBytes}).
        """
        if not isinstance(self._lookup(path), DirectoryNode):
            raise NotDirectory()
        return max(0, self.maxBytes - self.bytesHeld)

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{IFTPShellHash.hash}: a range of up to
        L{ftpkit.shells.memoryhash.HASH_AT_ONCE} bytes
        is checksummed at once, a larger one in a thread (the reactor's
        pool), so that other sessions are not held up meanwhile.

        The snapshot checksummed counts as a download does (L{FileNode})
        until the checksum ends: a file removed or replaced meanwhile
        stays counted in C{maxBytes} while a thread still reads it.

        @raise ParameterNotImplemented: for an algorithm
            L{ftpkit.shells.digests.newDigest} lacks.
        """
        return self._toHash(path, algorithm, start, end).addCallback(
            checksumRead, self._budget)

    @fired
    def _toHash(self, path, algorithm, start, end):
        """
        The checks of L{hash}.

        @return: the file's L{FileNode}, the digest object, a snapshot
            of the file's content (which what is written meanwhile leaves
            as it is) and the range to checksum in it.
        """
        node = self._lookup(path)
        if isinstance(node, DirectoryNode):
            raise IsDirectory()
        content = node.content.snapshot()
        return (node, newDigest(algorithm), content, start,
                content.size if end is None else end)
