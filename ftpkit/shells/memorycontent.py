"""
L{Content}: the bytes of a L{ftpkit.shells.memory.MemoryShell} file, kept
as immutable chunks so that appending copies nothing already stored.

A file used to be one C{bytes} value, shared with the downloads reading
it and the threads checksumming it: an append (C{APPE}, or a resumed
C{STOR} at the end) built a new value, copying the whole file in the
reactor's thread, so a client appending one byte at a time to a large
file held up every session of the server.

A L{Content} is a view of the first L{Content.size} bytes of a
L{_Store}, whose bytes only grow: whole chunks (C{bytes}, which never
change) and a tail (a C{bytearray} that small appends extend, made a
chunk once it holds L{COALESCE} bytes, and never changed after). So a
snapshot is a second view of the same store (L{Content.snapshot}),
whatever is appended after it, and appending to the view that ends where
the store ends copies nothing stored (at most the small tail, once).
Appending to any other view (an older version, or one cut short by
L{Content.truncated}) starts a store of its own, sharing the chunks but
copying at most a part of one: no chunk is longer than L{SPLIT}, a
longer C{bytes} being kept as views of it, so that a resume inside a
large file given whole copies little of it (the C{bytes} stay held
while a version keeps a view of them). So does appending to a view whose
store a snapshot holds (L{_Store.pinned}): what a download or a checksum
holds is then no more than what it reads, which is what the shell counts
for a removed file still read (L{ftpkit.shells.memorytree.FileNode}), not
the bytes appended after it was opened as well.

A checksum reads a snapshot in a thread while the reactor's thread may
append: the store's lists only grow, and its tail is replaced, not
emptied, once made a chunk (L{_Store.tail}), so what a view reads stays
where it read it.
"""

from bisect import bisect_right

COALESCE = 1 << 16
"""Appends shorter than this gather in the tail until it holds this many
bytes, so that a file grown by small appends (or an upload received in
small reads) is not a list of tiny chunks that each read would gather;
a longer one is a chunk of its own, kept as it came (up to L{SPLIT})."""

SPLIT = 1 << 20
"""The longest chunk: a longer append (a file given as one C{bytes}) is
kept as views of this many bytes of it (read-only C{memoryview}s, not
copies), so that a version cut inside it (a resume, L{Content.truncated})
copies at most this much of it, not all it keeps before the cut."""


class _Store:
    """
    The bytes of one or more versions of a file.

    @ivar chunks: a C{list} of C{bytes}, or read-only C{memoryview}s of
        C{bytes} (L{SPLIT}), none empty; it only grows.
    @ivar ends: a C{list}: the offset just past each chunk.
    @ivar tail: the offset of the tail's first byte and the tail, a
        C{bytearray} (bytes after the chunks), in one C{tuple} replaced
        at once when the tail becomes a chunk.
    @ivar pinned: whether a snapshot (L{Content.snapshot}) holds this
        store: it then takes no more bytes (L{Content._own}).
    """

    __slots__ = ("chunks", "ends", "tail", "pinned")

    def __init__(self):
        self.chunks = []
        self.ends = []
        self.tail = (0, bytearray())
        self.pinned = False

    @property
    def size(self):
        """
        @return: the bytes stored.
        """
        start, tail = self.tail
        return start + len(tail)

    def append(self, data):
        """
        Store C{data} after what is stored (see L{COALESCE}).

        @param data: non-empty C{bytes}.
        """
        start, tail = self.tail
        if len(data) < COALESCE:
            tail += data
            if len(tail) >= COALESCE:
                self._chunk(bytes(tail))
        else:
            self._chunk(bytes(tail))
            if len(data) <= SPLIT:
                self._chunk(data)
                return
            whole = memoryview(data)
            for offset in range(0, len(data), SPLIT):
                self._chunk(whole[offset:offset + SPLIT])

    def _chunk(self, chunk):
        """
        Make C{chunk} (the tail's bytes, or more) the last chunk, and start
        a new, empty tail after it.

        @param chunk: C{bytes} that follow the chunks.
        """
        start = self.ends[-1] if self.ends else 0
        if chunk:
            self.chunks.append(chunk)
            self.ends.append(start + len(chunk))
            start += len(chunk)
        self.tail = (start, bytearray())

    def pieces(self, start, end):
        """
        The bytes of a range, in order, as they are stored.

        @param start: the first byte's offset.
        @param end: the offset past the last byte, at most L{size}.
        @return: an iterator of C{bytes}, C{memoryview}s of them and
            C{bytearray}s (copies of the tail's).
        """
        tailStart, tail = self.tail
        chunks, ends = self.chunks, self.ends
        index = bisect_right(ends, start)
        chunkStart = ends[index - 1] if index else 0
        while start < min(end, tailStart):
            chunk = chunks[index]
            piece = memoryview(chunk)[start - chunkStart: end - chunkStart]
            yield chunk if len(piece) == len(chunk) else piece
            chunkStart += len(chunk)
            start = chunkStart
            index += 1
        if start < end:
            yield tail[start - tailStart: end - tailStart]


def _asBytes(data):
    """
    @param data: a bytes-like object.
    @return: C{data} as C{bytes} (itself when it is already).
    """
    return data if type(data) is bytes else bytes(data)


class Content:
    """
    The bytes of a file: the first L{size} bytes of a L{_Store}.

    @ivar size: the length of the content.
    """

    __slots__ = ("_store", "size")

    def __init__(self, data=b""):
        """
        @param data: the initial bytes (a bytes-like object: C{bytes}
            are kept, not copied).
        """
        self._store = _Store()
        self.size = 0
        self.append(data)

    @classmethod
    def _view(cls, store, size):
        """
        @param store: a L{_Store}.
        @param size: how many of its bytes the view shows.
        @return: a L{Content} showing the first C{size} bytes of C{store}.
        """
        content = cls.__new__(cls)
        content._store = store
        content.size = size
        return content

    def __len__(self):
        """
        @return: L{size}.
        """
        return self.size

    def snapshot(self):
        """
        @return: a L{Content} holding these bytes whatever happens to
            this one later (in constant time: it shares the chunks). Its
            store is pinned (L{_Store.pinned}): what is appended to this
            content later goes to a store of its own, which the snapshot
            does not hold.
        """
        self._store.pinned = True
        return self._view(self._store, self.size)

    def truncated(self, size):
        """
        @param size: the length wanted.
        @return: a new L{Content}: these bytes cut to C{size}, or padded
            with zero bytes to it, that may be appended to (it shares
            whole chunks, copies at most a part of one).
        """
        store = self._store
        if size >= self.size:
            content = self._view(store, self.size)
            content._own()
            content.append(b"\0" * (size - self.size))
            return content
        content = self._view(store, size)
        content._own()
        return content

    def _own(self):
        """
        Make this view the whole of a store, which it may then append to:
        a view that shows less than its store, or whose store a snapshot
        holds (L{_Store.pinned}), gets a store of its own, with the chunks
        it shows (the last one cut where it ends; a pinned store's tail
        copied, at most L{COALESCE} bytes).
        """
        store = self._store
        if self.size == store.size and not store.pinned:
            return
        own = _Store()
        whole = bisect_right(store.ends, self.size)
        own.chunks = store.chunks[:whole]
        own.ends = store.ends[:whole]
        own._chunk(b"")
        for piece in store.pieces(own.size, self.size):
            own.append(_asBytes(piece))
        self._store = own

    def append(self, data):
        """
        Add bytes at the end, copying none of those already held (at most
        a small last chunk, L{COALESCE}); snapshots taken before are
        unchanged.

        @param data: a bytes-like object.
        """
        if not data:
            return
        self._own()
        self._store.append(_asBytes(data))
        self.size += len(data)

    def extend(self, other):
        """
        Add another content's bytes at the end, chunk by chunk, copying
        none of this one's (see L{append}).

        @param other: a L{Content}.
        """
        for piece in other.pieces():
            self.append(piece)

    def pieces(self, start=0, end=None):
        """
        The bytes of a range, in order, as they are stored.

        @param start: the first byte's offset.
        @param end: the offset past the last byte, or C{None} for the end.
        @return: an iterator of bytes-like objects (see
            L{_Store.pieces}).
        """
        end = self.size if end is None else min(end, self.size)
        return self._store.pieces(start, end)

    def read(self, offset, length):
        """
        @param offset: the first byte's offset.
        @param length: the most bytes to read.
        @return: the bytes there, as C{bytes} (fewer at the end).
        """
        pieces = list(self.pieces(offset, offset + length))
        if len(pieces) == 1:
            return _asBytes(pieces[0])
        return b"".join(pieces)

    def value(self):
        """
        @return: the whole content as one C{bytes} value (made when asked:
            a copy, but for content held in one chunk of C{bytes}).
        """
        return self.read(0, self.size)
