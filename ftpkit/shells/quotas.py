"""
What a user's quota counts: L{QuotaUsage}, the bytes a home holds
(measured by L{diskUsage}, then kept up to date), and the uploads held to
it (L{QuotaWriteFile}, L{QuotaRandomWriteFile}).
L{ftpkit.shells.permissions.PermissionShell} decides with them, and is the
one place that does.
"""

import dataclasses
import os
import threading

from twisted.internet import defer, threads
from twisted.python.failure import Failure
from zope.interface import alsoProvides, implementer

from ftpkit.data.producers import ConsumerFilter
from ftpkit.errors import QuotaExceeded
from ftpkit.interfaces import (
    IDescriptorFile,
    IPartialWriteFile,
    IRandomWriteFile,
    IRefusingWriteFile,
)


def diskUsage(directory):
    """
    Add up the sizes of the regular files under a directory, not
    following symbolic links (blocking: run it in a thread).

    @param directory: a path.
    @return: the total in bytes; entries that cannot be read count 0.
    """
    total = 0
    pending = [directory]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


class QuotaUsage:
    """
    The bytes a home holds, measured (in a thread) when first needed and
    then kept up to date as uploads and deletions go through
    L{ftpkit.shells.permissions.PermissionShell}s. Sessions of the same home
    share one.

    @ivar used: the bytes stored, or C{None} until measured.
    @ivar inFlight: the bytes of uploads in progress, not yet in C{used}.
    @ivar lock: held while L{used} and L{inFlight} change or are checked
        together (a zero-copy upload's quota is checked in a disk thread).
    @ivar stale: whether L{current} should measure again.
    """

    def __init__(self, measure, run=threads.deferToThread):
        """
        @param measure: a blocking callable returning the bytes stored,
            e.g. C{lambda: diskUsage(home)}.
        @param run: runs a blocking callable off the reactor thread,
            returning a L{Deferred}.
        """
        self._measure = measure
        self._run = run
        self._waiters = []
        self.used = None
        self.inFlight = 0
        self.lock = threading.Lock()
        self.stale = True

    def current(self):
        """
        @return: a L{Deferred} firing with L{used}, measuring it first
            when L{stale} (concurrent callers share one measurement).
        """
        if not self.stale:
            return defer.succeed(self.used)
        waiter = defer.Deferred()
        self._waiters.append(waiter)
        if len(self._waiters) == 1:
            self._run(self._measure).addBoth(self._measured)
        return waiter

    def _measured(self, result):
        """
        Keep a measurement and hand it (or its failure) to the waiters.

        @param result: the bytes stored, or a L{Failure}.
        """
        if not isinstance(result, Failure):
            self.used = result
            self.stale = False
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if isinstance(result, Failure):
                waiter.errback(result)
            else:
                waiter.callback(result)

    def adjust(self, delta):
        """
        Record that the stored bytes changed by C{delta} (ignored until
        first measured: the measurement will see the change).

        @param delta: bytes added (negative when removed).
        """
        with self.lock:
            if self.used is not None:
                self.used = max(0, self.used + delta)

    def invalidate(self):
        """
        Mark L{used} as L{stale}: the next L{current} measures again, and
        until then the old value stands.
        """
        self.stale = True


class _CountingConsumer(ConsumerFilter):
    """
    Hand bytes on to a consumer while they fit in the quota; from the
    first chunk that does not, drop everything and stop the producer (the
    data connection), so that the client is not read to its end for
    nothing.
    """

    _producer = None

    def __init__(self, consumer, writeFile):
        """
        @param consumer: the wrapped shell's upload consumer.
        @param writeFile: the L{QuotaWriteFile} keeping the count.
        """
        ConsumerFilter.__init__(self, consumer)
        self._writeFile = writeFile

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}.
        """
        self._producer = producer
        ConsumerFilter.registerProducer(self, producer, streaming)

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}.
        """
        self._producer = None
        ConsumerFilter.unregisterProducer(self)

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        if self._writeFile.admit(len(data)):
            self._consumer.write(data)
        elif self._producer is not None:
            producer, self._producer = self._producer, None
            producer.stopProducing()


class _QuotaUpload:
    """
    An upload held to a quota: past it, the bytes are dropped and
    L{close} aborts the wrapped upload and fails with L{QuotaExceeded}.

    @ivar count: the bytes handed on to the wrapped upload.
    @ivar exceeded: whether the upload went past the quota.
    """

    def __init__(self, writeFile, usage, quota, oldSize, kept, inPlace):
        """
        @param writeFile: the wrapped L{IWriteFile} or
            L{IRandomWriteFile}.
        @param usage: the user's L{QuotaUsage} (already measured).
        @param quota: the most bytes the user may store.
        @param oldSize: the size of the file being written, 0 if new.
        @param kept: how many of its bytes stay (appended to or resumed
            after); the others are freed when the upload commits.
        @param inPlace: whether the wrapped upload writes the file in
            place (append or resume), so that aborting it may keep bytes.
        """
        self._writeFile = writeFile
        self._usage = usage
        self._quota = quota
        self._oldSize = oldSize
        self._kept = kept
        self._inPlace = inPlace
        self._finished = False
        self._uncounted = False
        self.count = 0
        self.exceeded = False
        if IDescriptorFile.providedBy(writeFile):
            alsoProvides(self, IDescriptorFile)
        if IPartialWriteFile.providedBy(writeFile):
            alsoProvides(self, IPartialWriteFile)

    def descriptor(self):
        """
        See L{IDescriptorFile.descriptor} (provided when the wrapped upload
        provides it): the wrapped upload's descriptor, its commit checking
        the quota first. The bytes then go into the file without passing
        through Python, so the quota is checked at the end: an upload past
        it is discarded before it is committed (C{552}). Its C{room} is
        what is left of the quota now, so that the server stops it there
        instead of letting it fill the disk first. None for an
        upload written in place (append, resume), which must not keep
        bytes past the quota: that one counts its bytes on the way.
        """
        if self._inPlace:
            return None
        inner = self._writeFile.descriptor()
        if inner is None or inner.commit is None:
            return None
        self._uncounted = True
        usage = self._usage
        with usage.lock:
            room = max(0, self._quota - usage.used - usage.inFlight
                       + self._oldSize - self._kept)
        if inner.room is not None:
            room = min(room, inner.room)
        return dataclasses.replace(
            inner, commit=lambda end: self._commitAt(inner, end), room=room)

    def _commitAt(self, inner, end):
        """
        Commit a zero-copy upload of C{end - inner.offset} bytes if they
        fit in the quota (blocking, in a disk thread: see
        L{ftpkit.fileinfo.FileDescriptor.commit}).

        @raise QuotaExceeded: when they do not; the upload is then
            aborted, and nothing is put in place.
        """
        if not self.admit(end - inner.offset):
            raise QuotaExceeded()
        inner.commit(end)

    def admit(self, size):
        """
        Count C{size} more bytes, if they fit.

        @return: whether they fit (and may be written).
        """
        if self.exceeded or self._finished:
            return False
        freed = self._oldSize - self._kept
        usage = self._usage
        with usage.lock:
            if usage.used + usage.inFlight + size - freed > self._quota:
                self.exceeded = True
                return False
            usage.inFlight += size
        self.count += size
        return True

    def _finish(self):
        """
        Stop counting: the bytes in flight leave L{QuotaUsage.inFlight}.

        @return: whether this is the first call.
        """
        if self._finished:
            return False
        self._finished = True
        with self._usage.lock:
            self._usage.inFlight -= self.count
        return True

    def close(self):
        """
        See L{IWriteFile.close}.
        """
        if not self._finish():
            return self._writeFile.close()
        if self.exceeded:
            aborting = self._aborted(whole=True)
            aborting.addCallback(lambda _: defer.fail(QuotaExceeded()))
            return aborting
        closing = self._writeFile.close()
        closing.addCallback(self._committed)
        return closing

    def _committed(self, result):
        self._usage.adjust(self._kept + self.count - self._oldSize)
        return result

    def _aborted(self, whole=False):
        """
        Abort the wrapped upload; one written in place, or kept for a
        resume, may have kept the bytes already handed on (counted, or
        moved through the L{descriptor} uncounted), so the usage is
        measured again.

        @param whole: discard it (L{IPartialWriteFile.discard}) where it
            can be, so that it keeps nothing.
        """
        if self.count or self._uncounted:
            self._usage.invalidate()
        if whole and IPartialWriteFile.providedBy(self._writeFile):
            return self._writeFile.discard()
        return self._writeFile.abort()

    def abort(self):
        """
        See L{IWriteFile.abort}.
        """
        if not self._finish():
            return self._writeFile.abort()
        return self._aborted()

    def discard(self):
        """
        See L{IPartialWriteFile.discard} (provided when the wrapped upload
        provides it).
        """
        if not self._finish():
            return self._writeFile.discard()
        return self._aborted(whole=True)


@implementer(IRefusingWriteFile)
class QuotaWriteFile(_QuotaUpload):
    """
    A producer/consumer upload (L{IWriteFile}) held to a quota: past it,
    its consumer stops the data connection (L{IRefusingWriteFile}).
    """

    def refusal(self):
        """
        See L{IRefusingWriteFile.refusal}.
        """
        return QuotaExceeded() if self.exceeded else None

    def receive(self):
        """
        See L{IWriteFile.receive}.
        """
        return self._writeFile.receive().addCallback(
            _CountingConsumer, self)


@implementer(IRandomWriteFile)
class QuotaRandomWriteFile(_QuotaUpload):
    """
    A random-access upload (L{IRandomWriteFile}) held to a quota; the
    server's adapter gives it flow control as it would the wrapped file.
    """

    def writeAt(self, offset, data):
        """
        See L{IRandomWriteFile.writeAt}: past the quota, the bytes are
        dropped and the write fails with L{QuotaExceeded} (the server's
        adapter then stops the data connection).
        """
        if self.admit(len(data)):
            return self._writeFile.writeAt(offset, data)
        return defer.fail(QuotaExceeded())
