"""
L{Content}: the bytes of a L{ftpkit.shells.memory.MemoryShell} file, kept
as immutable chunks so that appending copies nothing already stored.

A file used to be one C{bytes} value, shared with the downloads reading
it and the threads checksumming it: an append (C{APPE}, or a resumed
C{STOR} at the end) built a new value, copying the whole file in the
reactor's thread, so a client appending one byte at a time to a large
file held up every session of the server.

A L{Content} is a view of the first L{Content.size} bytes of a
L{_Store}, a list of C{bytes} chunks that only grows: a chunk once
stored never changes (the last one, while small, may be replaced by a
longer one that starts with the same bytes). So a snapshot is a second
view of the same store (L{Content.snapshot}), whatever is appended
after it, and appending to the view that ends where the store ends adds
a chunk without copying what is stored. Appending to any other view
(an older version, or one cut short by L{Content.truncated}) starts a
store of its own, sharing the chunks but copying at most one chunk's
part: what is stored is copied once, by a chunk, never by the file.
"""

from bisect import bisect_right

COALESCE = 1 << 16
"""Chunks shorter than this are merged as they are appended (copying at
most this many bytes), so that a file grown by small appends is not a
list of tiny chunks that each read would gather."""


class _Store:
    """
    The chunks of one or more versions of a file.

    @ivar chunks: a C{list} of C{bytes}, none empty.
    @ivar ends: a C{list}: the offset just past each chunk.
    """

    __slots__ = ("chunks", "ends")

    def __init__(self, chunks=()):
        """
        @param chunks: the first chunks (non-empty C{bytes}).
        """
        self.chunks = []
        self.ends = []
        for chunk in chunks:
            self._add(chunk)

    @property
    def size(self):
        """
        @return: the bytes stored.
        """
        return self.ends[-1] if self.ends else 0

    def _add(self, chunk):
        """
        Store one more chunk after the others.

        @param chunk: non-empty C{bytes}.
        """
        self.chunks.append(chunk)
        self.ends.append(self.size + len(chunk))

    def append(self, data):
        """
        Store C{data} after what is stored: a small tail and small data
        make one chunk, else C{data} is a chunk of its own.

        @param data: non-empty C{bytes}.
        """
        chunks = self.chunks
        if (chunks and len(data) < COALESCE
                and len(chunks[-1]) + len(data) <= COALESCE):
            chunks[-1] = chunks[-1] + data
            self.ends[-1] += len(data)
        else:
            self._add(data)

    def locate(self, offset):
        """
        @param offset: a byte offset below L{size}.
        @return: the index of the chunk that holds that byte, and the
            chunk's first byte's offset.
        """
        index = bisect_right(self.ends, offset)
        return index, self.ends[index - 1] if index else 0


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
        data = _asBytes(data)
        self._store = _Store([data] if data else [])
        self.size = len(data)

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
            this one later (in constant time: it shares the chunks).
        """
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
            content = self.snapshot()
            content._own()
            content.append(b"\0" * (size - self.size))
            return content
        content = self._view(store, size)
        content._own()
        return content

    def _own(self):
        """
        Make this view the whole of a store, which it may then append to:
        a view that shows less than its store gets a store of its own,
        with the chunks it shows (the last one cut where it ends).
        """
        store = self._store
        if self.size == store.size:
            return
        own = _Store()
        if self.size:
            index, start = store.locate(self.size - 1)
            own.chunks = store.chunks[:index]
            own.ends = store.ends[:index]
            own._add(store.chunks[index][: self.size - start])
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
        @return: an iterator of C{bytes} or C{memoryview}s of them.
        """
        end = self.size if end is None else min(end, self.size)
        if start >= end:
            return
        store = self._store
        index, chunkStart = store.locate(start)
        while chunkStart < end:
            chunk = store.chunks[index]
            piece = memoryview(chunk)[
                max(0, start - chunkStart): end - chunkStart]
            yield chunk if len(piece) == len(chunk) else piece
            chunkStart += len(chunk)
            index += 1

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
            a copy, but for content held in one chunk).
        """
        return self.read(0, self.size)
