"""
The last good content of the files a server reads at start and reloads
on C{SIGHUP} (a users file, a password file), kept by the acceptor of
C{--workers} for the workers it starts: a worker started again while one
of them cannot be used (an operator mid-edit) serves what the file held
when it was last good, as one process keeps it when a reload fails,
instead of failing at start until the file is fixed (the acceptor
retried it with a growing delay, a worker short meanwhile).

The acceptor read every such file at start (a bad one then is a usage
error, as for one process), and reads each again when it changed, at
each round of pings, in a thread (L{refreshAllInThread}), keeping its
content when it is good. Each worker gets that content in an
anonymous file, the descriptor L{KEPT_FD} (L{keptDescriptor}), which it
reads before its options (L{receive}); a file it cannot use at start is
then read from its kept content (L{keptContent}), with the one error
line a failed reload logs.

A source is anything with C{refresh()} (read the file again, quietly,
if it changed: keep it only when it is good) and C{keptFiles()} (a
C{dict} of absolute path to the content last found good), registered
with L{register} (L{ftpkit.auth.reloadingfile.ReloadingFile} registers
itself), and may have C{warnExposed()} (L{warnExposedAll}).
"""

import os
import struct
import tempfile
import weakref

from twisted.internet import defer
from twisted.logger import Logger

KEPT_FD = 4
"""The descriptor number of a worker's kept files, from the acceptor."""

_HEADER = struct.Struct("!IQ")
"""One file's header in L{pack}: the lengths of its path and content."""

_sources = weakref.WeakSet()
"""The sources registered in this process."""

_kept = {}
"""In a worker, the content the acceptor kept, by absolute path."""

_received = []
"""In a worker, C{[True]} once it took in the kept files."""

_log = Logger()


def register(source):
    """
    Keep a source's files for the workers this process may start.

    @param source: see the module's docstring; held weakly.
    """
    _sources.add(source)


def refreshAllInThread():
    """
    Read again every registered source's file that changed (see the
    module's docstring), each source that can read and parse its file in
    a thread doing so (C{refreshInThread}), one source after the other:
    at each round of pings, the acceptor's reactor serves meanwhile. A
    source that fails unexpectedly is logged, and the others still read.

    @return: a Deferred firing with C{None} once every source is done.
    """
    return _refreshEach(list(_sources))


@defer.inlineCallbacks
def _refreshEach(sources):
    """
    See L{refreshAllInThread}.

    @param sources: the sources.
    """
    for source in sources:
        refresh = getattr(source, "refreshInThread", source.refresh)
        try:
            yield refresh()
        except Exception:  # noqa: BLE001 (one source must not stop the others)
            _log.failure("cannot read {source!r} again", source=source)


def warnExposedAll():
    """
    The acceptor's part of a C{SIGHUP}: warn of every registered source's
    file that every local user may read or change (its C{warnExposed}),
    once for the whole server, where each of its workers, reloading,
    said it once more.
    """
    for source in list(_sources):
        warn = getattr(source, "warnExposed", None)
        if warn is not None:
            warn()


def keepOnly():
    """
    The acceptor's part, once it knows it is one: its sources keep their
    files for its workers and serve no session, so each stops working
    out, with each parse of its file (at every change, in the thread the
    acceptor's reactor shares the process with), the values only
    sessions use (its C{keepOnly()}, where it has one).
    """
    for source in list(_sources):
        keep = getattr(source, "keepOnly", None)
        if keep is not None:
            keep()


def keptFiles():
    """
    @return: a C{dict} of absolute path to the content last found good,
        of every registered source.
    """
    files = {}
    for source in list(_sources):
        files.update(source.keptFiles())
    return files


def pack(files):
    """
    @param files: a C{dict} of path (C{str}) to content (C{bytes}).
    @return: them as one C{bytes}, for L{unpack}.
    """
    parts = []
    for path, data in sorted(files.items()):
        name = os.fsencode(path)
        parts += [_HEADER.pack(len(name), len(data)), name, data]
    return b"".join(parts)


def unpack(data):
    """
    @param data: what L{pack} made.
    @return: the C{dict} it was made of.
    @raise ValueError: when C{data} is cut short.
    """
    files = {}
    offset = 0
    while offset < len(data):
        if offset + _HEADER.size > len(data):
            raise ValueError("kept files cut short")
        nameLength, dataLength = _HEADER.unpack_from(data, offset)
        offset += _HEADER.size
        end = offset + nameLength + dataLength
        if end > len(data):
            raise ValueError("kept files cut short")
        name = os.fsdecode(data[offset:offset + nameLength])
        files[name] = data[offset + nameLength:end]
        offset = end
    return files


def anonymousFile(data):
    """
    @param data: C{bytes}.
    @return: a descriptor of a file with no name holding C{data}, at its
        start (the caller closes it): in memory where the system has
        C{memfd_create}, else an unlinked temporary file.
    """
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None:
        descriptor = memfd("ftpkit-kept", os.MFD_CLOEXEC)
    else:
        with tempfile.TemporaryFile() as f:
            descriptor = os.dup(f.fileno())
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
        os.lseek(descriptor, 0, os.SEEK_SET)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def keptDescriptor():
    """
    The acceptor's part, as it starts a worker: put what was last found
    good of each file (at most a round of pings ago) in a file with no
    name (L{anonymousFile}). Nothing is read here: a file read again here
    was parsed in the acceptor's reactor, every connection it hands on
    held meanwhile, and to no end, as the worker uses what is kept only
    of a file it cannot use when it starts, one that a reading here
    would not have kept either.

    @return: its descriptor (the caller closes it).
    """
    return anonymousFile(pack(keptFiles()))


def receive(descriptor=KEPT_FD):
    """
    The worker's part, before its options are read: take in the kept
    files from C{descriptor}, and close it. A worker started without it
    (by a test, or an older acceptor) has none.

    @param descriptor: the descriptor.
    """
    try:
        with os.fdopen(descriptor, "rb") as f:
            data = f.read()
    except OSError:
        return
    _received[:] = [True]
    try:
        _kept.update(unpack(data))
    except ValueError:
        pass


def checkedByAcceptor():
    """
    @return: whether this process is a worker of C{--workers} whose
        acceptor checked the server's options at start (it handed it the
        kept files): what the files an option names were like then is
        not this worker's start's business, as it is not one process's
        once started.
    """
    return bool(_received)


def keptContent(path):
    """
    @param path: a file.
    @return: the content the acceptor kept of it (C{bytes}), or C{None}.
    """
    return _kept.get(os.path.abspath(path))
