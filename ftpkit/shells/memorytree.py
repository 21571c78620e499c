"""
The tree a L{ftpkit.shells.memory.MemoryShell} holds: its files and
directories (L{FileNode}, L{DirectoryNode}), and the L{Budget} that
bounds the bytes and entries it may hold.
"""

from ftpkit.errors import FileQuotaExceeded, QuotaExceeded
from ftpkit.fileinfo import DIRECTORY, FILE, FileInfo
from ftpkit.shells.memorycontent import Content

BYTES_PER_ENTRY = 1024
"""A shell with C{maxBytes} holds one file or directory per this many bytes
of it: an entry (its node, its name of up to 255 bytes, its directory's
slot) takes less memory than that."""

MIN_ENTRIES = 1024
"""The fewest files and directories a shell with C{maxBytes} may hold."""


class Node:
    """
    One entry of the tree.

    @ivar mtime: modification time, seconds since the epoch.
    @ivar unique: the MLSD C{unique} fact of this entry.
    @ivar overdrawn: it is a file stored past the shell's C{maxEntries},
        on its way to another file's name
        (L{ftpkit.shells.memory.MemoryShell}'s C{onTheirWay}).
    """

    _counter = 0
    overdrawn = False

    def __init__(self, mtime):
        """
        @param mtime: the creation (and so modification) time.
        """
        Node._counter += 1
        self.unique = f"m{Node._counter:x}"
        self.mtime = mtime


class FileNode(Node):
    """
    A regular file. Its C{content} never changes (an upload makes a new
    node, which may share its chunks: L{Content.snapshot}), so a download
    reads a node, and a node taken out of the tree (replaced or removed)
    still holds its bytes while one does: they are counted in the shell's
    L{Budget} until the last such download is closed, as a removed file
    still open takes its room on disk.

    @ivar content: the bytes, a L{Content}.
    @ivar readers: the downloads reading it (L{opened}, L{closed}).
    @ivar inTree: whether it is still in the tree (until L{left}).
    """

    def __init__(self, mtime, data=b"", content=None):
        """
        @param mtime: see L{Node}.
        @param data: the initial content (a bytes-like object), when no
            C{content} is given.
        @param content: the initial L{Content}, or C{None}.
        """
        super().__init__(mtime)
        self.content = Content(data) if content is None else content
        self.readers = 0
        self.inTree = True

    @property
    def data(self):
        """
        @return: the content as one C{bytes} value, made when asked (see
            L{Content.value}).
        """
        return self.content.value()

    @data.setter
    def data(self, data):
        """
        Replace the content, as code that set C{data} before it was a
        L{Content} did (the shell's L{Budget} is not told).

        @param data: the new bytes (a bytes-like object).
        """
        self.content = Content(data)

    def opened(self):
        """
        Count one more download reading this file.
        """
        self.readers += 1

    def closed(self, budget):
        """
        Count one download fewer; its bytes leave C{budget} with the last
        download of a file no longer in the tree.

        @param budget: the shell's L{Budget}.
        """
        self.readers -= 1
        self._release(budget)

    def left(self, budget):
        """
        The file was taken out of the tree for good (replaced or
        removed): its bytes leave C{budget} once no download reads it.

        @param budget: the shell's L{Budget}.
        """
        self.inTree = False
        self._release(budget)

    def _release(self, budget):
        if not self.inTree and not self.readers:
            budget.used -= self.content.size

    def info(self):
        """
        @return: the L{FileInfo} of this file.
        """
        return FileInfo(
            kind=FILE,
            size=self.content.size,
            mtime=self.mtime,
            mode=0o644,
            unique=self.unique,
        )


class DirectoryNode(Node):
    """
    A directory.

    @ivar children: a C{dict} mapping names to L{FileNode}s and L{DirectoryNode}s.
    """

    def __init__(self, mtime):
        """
        @param mtime: see L{Node}.
        """
        super().__init__(mtime)
        self.children = {}

    def info(self):
        """
        @return: the L{FileInfo} of this directory.
        """
        subdirectories = sum(
            isinstance(child, DirectoryNode) for child in self.children.values()
        )
        return FileInfo(
            kind=DIRECTORY,
            size=0,
            mtime=self.mtime,
            mode=0o755,
            nlink=2 + subdirectories,
            unique=self.unique,
        )


class Budget:
    """
    The bytes a L{MemoryShell} holds, at most C{limit}, and its files and
    directories, at most C{maxEntries}.

    @ivar limit: the most bytes, or C{None} for no limit.
    @ivar used: the bytes of the files, of the uploads in progress and of
        the files taken out of the tree that downloads still read.
    @ivar maxEntries: the most files and directories, or C{None} for no
        limit.
    @ivar entries: the files and directories (the root aside).
    @ivar reclaim: called with no argument, where room lacks, to free
        some (the oldest cut upload kept for a resume:
        L{ftpkit.shells.keptregistry.KeptPartials.dropOldest}) before
        anything is refused; it tells whether it freed anything. C{None}
        for nothing to free.
    """

    reclaim = None

    def __init__(self, limit):
        """
        @param limit: see L{limit}.
        """
        self.limit = limit
        self.used = 0
        self.maxEntries = (None if limit is None
                           else max(MIN_ENTRIES, limit // BYTES_PER_ENTRY))
        self.entries = 0

    def _room(self, enough):
        """
        @param enough: tells whether there is room now.
        @return: whether there is, once L{reclaim} freed what it could.
        """
        while not enough():
            if self.reclaim is None or not self.reclaim():
                return False
        return True

    def roomForEntry(self):
        """
        @return: whether the shell may hold one more file or directory.
        """
        return self._room(lambda: self.maxEntries is None
                          or self.entries < self.maxEntries)

    def overLimit(self):
        """
        @return: whether the shell holds more files and directories than
            C{maxEntries} (some on their way to another's name).
        """
        return not self._room(lambda: self.maxEntries is None
                              or self.entries <= self.maxEntries)

    def fits(self, size, freed=None):
        """
        @param size: bytes more to hold (fewer, when negative).
        @param freed: where they do not fit in C{limit}, called with no
            argument, gives the bytes the upload holding them frees once
            complete (L{ftpkit.shells.memoryroom.freedBy}), which it may
            hold meanwhile as well: room is counted as the disk's quotas
            count it (L{ftpkit.shells.quotauploads}), not as the old file
            and the whole new one side by side. C{None} for none.
        @return: whether the shell may hold them.
        """
        if self.limit is None or size <= 0 or self.used + size <= self.limit:
            return True
        room = self.limit + (0 if freed is None else freed())
        return self._room(lambda: self.used + size <= room)

    def full(self):
        """
        @return: the error of an upload refused for want of room.
        """
        return QuotaExceeded(f"Exceeded storage allocation: the server "
                             f"holds at most {self.limit} bytes")

    def tooMany(self, error=FileQuotaExceeded):
        """
        @param error: the L{FileQuotaExceeded} class to return (C{MKD}'s
            is L{DirectoryOverFileQuota}).
        @return: the error of a new entry refused for want of room.
        """
        return error(f"Exceeded storage allocation: the server holds at "
                     f"most {self.maxEntries} files and directories")
