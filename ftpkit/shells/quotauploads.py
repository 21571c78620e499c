"""
The uploads held to a user's quota (L{ftpkit.shells.quotas.QuotaUsage}):
L{QuotaWriteFile} (producer and consumer) and L{QuotaRandomWriteFile}
(written at an offset) count the bytes handed on to the wrapped upload
against the quota, drop them past it, and settle the home's usage when
the upload commits, is aborted or discarded.
L{ftpkit.shells.permissions.PermissionShell} opens them.
"""

import dataclasses

from twisted.internet import defer
from zope.interface import alsoProvides, implementer

from ftpkit.data.producers import ConsumerFilter
from ftpkit.errors import QuotaExceeded
from ftpkit.interfaces import (
    IAccountedWriteFile,
    IDescriptorFile,
    IDiscardableWriteFile,
    IPartialWriteFile,
    IPrivateWriteFile,
    IRandomWriteFile,
    IRefusingWriteFile,
)
from ftpkit.shells.shortcalls import Declined


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
    The upload of a new file settles the file its opener reserved
    (L{ftpkit.shells.quotas.QuotaUsage.reserveFile}): made when it
    commits, not when it is aborted or discarded.

    @ivar count: the bytes handed on to the wrapped upload.
    @ivar exceeded: whether the upload went past the quota.
    """

    def __init__(self, writeFile, usage, quota, oldSize, kept, inPlace,
                 newFile=False, path=None, entryBytes=0, reclaim=None,
                 remeasure=False, watch=None):
        """
        @param writeFile: the wrapped L{IWriteFile} or
            L{IRandomWriteFile}.
        @param usage: the user's L{ftpkit.shells.quotas.QuotaUsage} (already measured).
        @param quota: the most bytes the user may store, or C{None} (the
            bytes are still counted, for the other sessions of the home).
        @param oldSize: the size of the file being written, 0 if new.
        @param kept: how many of its bytes stay (appended to or resumed
            after); the others are freed when the upload commits.
        @param inPlace: whether the wrapped upload writes the file in
            place (append or resume), so that aborting it may keep bytes.
        @param newFile: whether it makes a new file, reserved with
            L{ftpkit.shells.quotas.QuotaUsage.reserveFile}.
        @param path: the file's path as the home names it, for
            L{ftpkit.shells.quotas.QuotaUsage.reads}, or C{None}.
        @param entryBytes: the bytes the new file's entry costs besides
            its content (the key a store keeps for it), reserved with
            L{ftpkit.shells.quotas.QuotaUsage.reserveBytes} along with the
            file: stored when it is made, given back when it is not.
        @param reclaim: called with no argument where bytes do not fit,
            drops a cut upload the quota counts for room, returning a
            Deferred firing with whether there was one
            (L{ftpkit.shells.quotaaccount.QuotaAccount.reclaimed}); or
            C{None}. Only an upload written at an offset
            (L{QuotaRandomWriteFile}), whose writes may wait, asks it.
        @param remeasure: have the usage measured again once the upload
            is complete, where what its commit changes is not all told
            by its bytes (it continues a cut upload, whose hidden name's
            key goes). So it is, however it ends, where a measurement was
            kept while it ran
            (L{ftpkit.shells.quotas.QuotaUsage.measurements}): one that
            saw the bytes it wrote (in place, or under a name of its own
            before it had its target's) counted them twice, with those in
            flight, and its commit added them again.
        @param watch: the L{ftpkit.shells.quotanames.NameWatch} of its
            name, taken before C{oldSize} was found, or C{None}. Where
            another session changed the name meanwhile, the usage is
            measured again once the upload is complete: its commit may
            neither have made a file nor freed C{oldSize}.
        """
        self._watch = watch
        self._remeasure = remeasure
        self._measuredBefore = usage.measurements
        self._reclaim = reclaim
        self._writeFile = writeFile
        self._usage = usage
        self._quota = quota
        self._oldSize = oldSize
        self._kept = kept
        self._inPlace = inPlace
        self._newFile = newFile
        self._entryBytes = entryBytes
        self._path = path
        self._finished = False
        self._uncounted = False
        self.count = 0
        self.exceeded = False
        if IDescriptorFile.providedBy(writeFile):
            alsoProvides(self, IDescriptorFile)
        if IPartialWriteFile.providedBy(writeFile):
            alsoProvides(self, IPartialWriteFile)
        if IDiscardableWriteFile.providedBy(writeFile):
            alsoProvides(self, IDiscardableWriteFile)
        if IPrivateWriteFile.providedBy(writeFile):
            alsoProvides(self, IPrivateWriteFile)
        self._accounted = IAccountedWriteFile.providedBy(writeFile)
        if self._accounted:
            alsoProvides(self, IAccountedWriteFile)

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
        room = inner.room
        if self._quota is not None:
            left = max(0, self._quota - self._usage.occupied()
                       + self._freed())
            room = left if room is None else min(room, left)
        return dataclasses.replace(
            inner, commit=lambda end: self._commitAt(inner, end), room=room)

    def _commitAt(self, inner, end):
        """
        Commit a zero-copy upload of C{end - inner.offset} bytes if they
        fit in the quota (blocking, in a disk thread: see
        L{ftpkit.fileinfo.FileDescriptor.commit}).

        @raise QuotaExceeded: when they do not; the upload is then
            aborted, and nothing is put in place.
        @raise Declined: run at once, the commit declined to run there
            (L{ftpkit.shells.shortcalls}): the bytes are counted again
            when it runs in a disk thread, so they are given back.
        """
        size = end - inner.offset
        if not self.admit(size):
            raise QuotaExceeded()
        try:
            inner.commit(end)
        except Declined:
            self._usage.releaseBytes(size)
            self.count -= size
            raise

    def _freed(self):
        """
        @return: the bytes of the file written that its commit frees: those
            not kept, unless downloads read it (they then hold it).
        """
        if self._path is not None and self._usage.reads.isRead(self._path):
            return 0
        return self._oldSize - self._kept

    def admit(self, size):
        """
        Count C{size} more bytes, if they fit.

        @return: whether they fit (and may be written).
        """
        if self.exceeded or self._finished:
            return False
        if not self._reserve(size):
            self.exceeded = True
            return False
        return True

    def _reserve(self, size):
        """
        Count C{size} more bytes if they fit (L{admit} without its
        refusal).

        @return: whether they fit.
        """
        limit = None
        if self._quota is not None:
            limit = self._quota + self._freed()
        if not self._usage.reserveBytes(size, limit):
            return False
        self.count += size
        return True

    def _finish(self, ending=False):
        """
        Stop counting: the bytes in flight leave
        L{ftpkit.shells.quotas.QuotaUsage.inFlight}, but those of an
        upload about to be aborted or discarded that tells what it left
        (L{IAccountedWriteFile}): L{_settleLeft} takes them off then.

        @param ending: whether it is about to be aborted or discarded.
        @return: whether this is the first call.
        """
        if self._finished:
            return False
        self._finished = True
        if not (ending and self._accounted):
            self._usage.releaseBytes(self.count)
        return True

    def close(self):
        """
        See L{IWriteFile.close}.
        """
        if not self._finish(ending=self.exceeded):
            return self._writeFile.close()
        if self.exceeded:
            aborting = self._aborted(whole=True)
            aborting.addCallback(lambda _: defer.fail(QuotaExceeded()))
            return aborting
        closing = self._writeFile.close()
        closing.addCallbacks(self._committed, self._notCommitted)
        return closing

    def _committed(self, result):
        meanwhile = self._unwatch(changing=True)
        size = self._kept + self.count
        self._usage.adjust(size - self._oldSize)
        if self._path is not None:
            reads = self._usage.reads
            if self._inPlace:
                reads.resized(self._path, size)
            else:
                reads.left(self._path)
        self._settleFile(made=True)
        return self._measureAgainIfSeen(result, self._remeasure or meanwhile)

    def _unwatch(self, changing):
        """
        Stop watching the upload's name (once), telling the other uploads
        and deletions of it that it changed.

        @param changing: whether the upload changed what is at its name.
        @return: whether another session changed it meanwhile.
        """
        watch, self._watch = self._watch, None
        if watch is None:
            return False
        names = self._usage.names
        names.unwatch(watch)
        if changing:
            names.changed(watch.path)
        return watch.changed

    def _measureAgainIfSeen(self, result, always=False):
        """
        Have the usage measured again where a measurement was kept while
        the upload ran, or C{always}.

        @param result: passed on.
        @param always: whether to have it measured again in any case.
        @return: C{result}.
        """
        if always or self._usage.measurements != self._measuredBefore:
            self._usage.invalidate()
        return result

    def _notCommitted(self, failure):
        """
        The wrapped upload failed to close: what it left is not known, so
        the usage is measured again.
        """
        self._unwatch(changing=True)
        self._usage.invalidate()
        self._settleFile(made=False)
        return failure

    def _settleFile(self, made):
        """
        Settle the new file reserved for this upload, if any, once.

        @param made: whether it is in place now.
        """
        if self._newFile:
            self._newFile = False
            self._usage.settleFile(made)
            settleEntryBytes(self._usage, self._entryBytes, made)

    def _aborted(self, whole=False):
        """
        Abort the wrapped upload; one written in place, or kept for a
        resume, may have kept the bytes already handed on (counted, or
        moved through the L{descriptor} uncounted). One that tells what it
        left (L{IAccountedWriteFile}) is counted by that once it ended
        (L{_settleLeft}); for any other the usage is measured again. So it
        is when a new file was written in place: opening it may have made
        it (an empty file is still a file). Its reserved file is given
        back: a file it left is found by that measurement, as its bytes
        are.

        @param whole: discard it (L{IPartialWriteFile.discard}) where it
            can be, so that it keeps nothing.
        """
        # Another session's change of a file written in place may be
        # missing from what it left: measured again once it ended.
        contested = self._unwatch(self._inPlace) and self._inPlace
        writeFile = self._writeFile
        end = writeFile.abort
        if whole and (IPartialWriteFile.providedBy(writeFile)
                      or IDiscardableWriteFile.providedBy(writeFile)):
            end = writeFile.discard
        if self._accounted:
            ending = defer.maybeDeferred(end).addBoth(self._settleLeft)
            return ending.addBoth(self._measureAgainIfSeen, contested)
        again = bool(self.count or self._uncounted
                     or (self._newFile and self._inPlace))
        if again:
            # Also once it ended: a measurement meanwhile may have seen
            # its bytes neither where they were nor where they went.
            self._usage.invalidate()
        self._settleFile(made=False)
        return defer.maybeDeferred(end).addBoth(self._measureAgainIfSeen,
                                                again or contested)

    def _settleLeft(self, result):
        """
        Once an L{IAccountedWriteFile} was aborted or discarded: count
        what it left (measure again when it cannot tell), in place of the
        bytes it had in flight. A new file written in place stays.

        @param result: the outcome of its end, passed on.
        """
        usage = self._usage
        left = self._writeFile.leftBehind()
        if left is None:
            usage.invalidate()
        else:
            usage.adjust(left.bytes, left.files)
        usage.releaseBytes(self.count)
        self._settleFile(made=left is not None and self._inPlace)
        return self._measureAgainIfSeen(result)

    def leftBehind(self):
        """
        See L{IAccountedWriteFile.leftBehind} (provided when the wrapped
        upload provides it).
        """
        return self._writeFile.leftBehind()

    def abort(self):
        """
        See L{IWriteFile.abort}: past the quota, the upload is dropped
        whole where it can be (a random-access one is aborted after its
        write past the quota failed, and kept what it wrote in place).
        """
        if not self._finish(ending=True):
            return self._writeFile.abort()
        return self._aborted(whole=self.exceeded)

    def discard(self):
        """
        See L{IPartialWriteFile.discard} and
        L{IDiscardableWriteFile.discard} (provided when the wrapped upload
        provides either).
        """
        if not self._finish(ending=True):
            return self._writeFile.discard()
        return self._aborted(whole=True)

    def withholdFromOthers(self):
        """
        See L{IPrivateWriteFile.withholdFromOthers} (provided when the
        wrapped upload provides it).
        """
        return self._writeFile.withholdFromOthers()


def settleEntryBytes(usage, size, made):
    """
    End a C{usage.reserveBytes(size, ...)} made for a new entry's own
    bytes (its key): they are stored if it was made.

    @param usage: a L{ftpkit.shells.quotas.QuotaUsage}.
    @param size: the bytes reserved.
    @param made: whether the entry was made.
    """
    if size:
        usage.releaseBytes(size)
        if made:
            usage.adjust(size)


@implementer(IRefusingWriteFile)
class QuotaWriteFile(_QuotaUpload):
    """
    A producer/consumer upload (L{IWriteFile}) held to a quota: past it,
    its consumer stops the data connection (L{IRefusingWriteFile}).
    """

    def refusal(self):
        """
        See L{IRefusingWriteFile.refusal}: over the quota, or the wrapped
        upload's own refusal (the disk full).
        """
        if self.exceeded:
            return QuotaExceeded()
        if IRefusingWriteFile.providedBy(self._writeFile):
            return self._writeFile.refusal()
        return None

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
        See L{IRandomWriteFile.writeAt}: past the quota, cut uploads are
        dropped for room where the quota may drop them (C{reclaim}); then
        the bytes are dropped and the write fails with L{QuotaExceeded}
        (the server's adapter then stops the data connection).
        """
        if self._reclaim is not None and not (self.exceeded
                                              or self._finished):
            if self._reserve(len(data)):
                return self._writeFile.writeAt(offset, data)
            return defer.ensureDeferred(self._writeWithRoom(offset, data))
        if self.admit(len(data)):
            return self._writeFile.writeAt(offset, data)
        return defer.fail(QuotaExceeded())

    async def _writeWithRoom(self, offset, data):
        """
        Drop cut uploads for room until C{data} fits, then write it.

        @raise QuotaExceeded: when nothing is left to drop and it does
            not fit, or the upload ended meanwhile.
        """
        while not self._finished:
            if self._reserve(len(data)):
                return await self._writeFile.writeAt(offset, data)
            if not await self._reclaim():
                self.exceeded = True
                break
        raise QuotaExceeded()
