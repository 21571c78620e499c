"""
L{QuotaAccount}: the quota bookkeeping of one
L{ftpkit.shells.permissions.PermissionShell}, which decides what a user
may do and leaves counting to it.

It keeps the user's L{ftpkit.shells.quotas.QuotaUsage} up to date with
each change the shell makes: a new file or directory is counted before
it is made, and only if it fits (the byte quota, the file quota, and the
bytes of its key where the store keeps a key per entry that takes memory
of its own: C{entryBytes}); a removal gives back what went; a rename
that lengthens the keys reserves the bytes it adds before anything is
renamed, as an upload reserves its bytes, so that two sessions renaming
at once cannot both pass; an upload counts its bytes as they come
(L{ftpkit.shells.quotauploads}); a download holds its file's bytes until
it is closed (L{ftpkit.shells.quotareads}), and a checksum (C{HASH},
C{XMD5}...) until it ends: a disk's checksum reads the file open in a
thread, and an unlinked file open keeps its blocks.

Where the shell it counts for keeps cut uploads that may be dropped for
room (an fsspec realm's, L{ftpkit.shells.keptregistry}), what does not
fit asks it to drop the oldest (C{reclaim}) and tries again, until it
fits or nothing is left to drop, before anything is refused, as
C{--realm memory}'s own bound does.
"""

from twisted.internet import defer

from ftpkit.errors import DirectoryOverFileQuota, FileQuotaExceeded, QuotaExceeded
from ftpkit.interfaces import IFTPShellResume, IRandomWriteFile
from ftpkit.shells.pathlookups import statOrNone
from ftpkit.shells.quotareads import ReleasingReadFile
from ftpkit.shells.quotauploads import (
    QuotaRandomWriteFile,
    QuotaWriteFile,
    settleEntryBytes,
)


class QuotaAccount:
    """
    The byte and file quotas of the user of one shell, counted in its
    L{ftpkit.shells.quotas.QuotaUsage} as the shell changes things.
    """

    def __init__(self, shell, usage, quota=None, fileQuota=None, where=(),
                 entryBytes=None, entriesBelow=None, reclaim=None):
        """
        @param shell: the wrapped L{ftpkit.interfaces.IFTPShell}.
        @param usage: the L{ftpkit.shells.quotas.QuotaUsage} of the user's
            files.
        @param quota: the most bytes the user may store, or C{None}.
        @param fileQuota: the most files and directories the user may
            store, or C{None}.
        @param where: where C{shell}'s C{/} is in the home C{usage}
            measures (a tuple of segments).
        @param entryBytes: gives the bytes an entry costs besides its
            content, from its path as C{usage}'s home names it, or
            C{None} (see L{ftpkit.shells.permissions.PermissionShell}).
        @param entriesBelow: with C{entryBytes}: gives a Deferred firing
            with the number of entries a directory's rename changes the
            keys of, from its path as C{usage}'s home names it.
        @param reclaim: called with no argument where room lacks, removes
            the oldest cut upload the quota counts that may be dropped
            for room, returning a Deferred firing (once C{usage} counts
            what it freed) with whether there was one; or C{None}.
        """
        self._reclaim = reclaim
        self._shell = shell
        self._usage = usage
        self._quota = quota
        self._fileQuota = fileQuota
        self._where = tuple(where)
        self._entryBytes = entryBytes
        self._entriesBelow = entriesBelow

    def measured(self):
        """
        @return: a Deferred firing once the usage is known
            (L{ftpkit.shells.quotas.QuotaUsage.current}).
        """
        return self._usage.current()

    @defer.inlineCallbacks
    def room(self, available):
        """
        @param available: the bytes the store has room for.
        @return: a Deferred firing with C{available}, or what the byte
            quota leaves (the bytes stored and those of uploads in
            progress taken off) if that is less.
        """
        if self._quota is None:
            return available
        yield self._usage.current()
        return min(available, max(0, self._quota - self._usage.occupied()))

    def reading(self, path, offset, readFile):
        """
        @param path: the path of a download.
        @param offset: where it starts.
        @param readFile: its L{ftpkit.interfaces.IReadFile}.
        @return: C{readFile}, its file counted until it is closed, even
            once no longer in place.
        """
        size = offset + (readFile.size or 0)
        reads = self._usage.reads
        return ReleasingReadFile(readFile, reads.opened(self._at(path), size))

    @defer.inlineCallbacks
    def hashing(self, path, hashing):
        """
        @param path: the path of a file to checksum.
        @param hashing: called with no argument, starts the checksum and
            returns a Deferred.
        @return: a Deferred firing with what C{hashing}'s does, the file
            counted as a download's (L{reading}) until then, even once no
            longer in place.
        """
        info = yield statOrNone(self._shell, path)
        closed = self._usage.reads.opened(
            self._at(path), 0 if info is None else info.size or 0)
        try:
            return (yield hashing())
        finally:
            closed()

    @defer.inlineCallbacks
    def makingDirectory(self, path, making):
        """
        Make a directory if there is room for one more entry.

        @param path: its path.
        @param making: makes it, returning a Deferred.
        @return: a Deferred with what C{making} gives, or failing with
            L{DirectoryOverFileQuota}.
        """
        try:
            yield self._usage.current()
        except QuotaExceeded as e:
            # The home could not be measured: C{550}, the one refusal
            # RFC 959 lists for MKD.
            raise DirectoryOverFileQuota(e.message) from None
        try:
            size = yield self._roomForEntry(path)
        except QuotaExceeded as e:
            # C{550}, as for the file quota: what lacks is in the message.
            raise DirectoryOverFileQuota(e.message) from None
        try:
            result = yield making()
        except BaseException:
            self._settleEntry(size, made=False)
            raise
        self._settleEntry(size, made=True)
        return result

    def removedDirectory(self, path, change):
        """
        Give back what a removed directory took.

        @param path: its path.
        @param change: the L{ftpkit.fileinfo.StorageChange} of its
            removal, or C{None} when not known (the usage is measured
            again).
        """
        if change is None:
            self._usage.invalidate()
        else:
            self._usage.adjust(change.bytes - self._keyBytes(path),
                               change.files)
        self._usage.names.changed(self._at(path))

    def watch(self, path):
        """
        Watch a name before what is at it is found, for an upload
        (L{uploading}) or a deletion (L{removedFile}) that counts from
        that.

        @param path: its path.
        @return: a L{ftpkit.shells.quotanames.NameWatch}; L{unwatch} must
            follow, unless it is given to L{uploading}.
        """
        return self._usage.names.watch(self._at(path))

    def unwatch(self, watch):
        """
        Stop watching a name (further calls do nothing).

        @param watch: a L{ftpkit.shells.quotanames.NameWatch} from
            L{watch}.
        """
        self._usage.names.unwatch(watch)

    def removedFile(self, path, size, watch=None):
        """
        Give back what a removed file took.

        @param path: its path.
        @param size: its size.
        @param watch: the L{watch} of C{path} taken before C{size} was
            found, or C{None}: where another session changed the name
            meanwhile (its upload replaced the file with another size),
            the usage is measured again.
        """
        usage = self._usage
        usage.adjust(-size - self._keyBytes(path), files=-1)
        usage.reads.left(self._at(path))
        usage.names.changed(self._at(path), by=watch)
        if watch is not None and watch.changed:
            usage.invalidate()

    @defer.inlineCallbacks
    def renaming(self, fromPath, toPath, replaced, renaming):
        """
        Rename, counting what the new keys add and what the target's
        replacement frees (C{fromPath} and C{toPath} differ). A directory's
        entries are counted before and again where they went, not the
        whole home measured again: only where the two counts differ, or
        another change of the home was told meanwhile, is the usage
        measured again (L{ftpkit.shells.quotas.QuotaUsage.invalidate}).

        @param fromPath: a tuple of segments: what is renamed.
        @param toPath: a tuple of segments: its new path.
        @param replaced: the L{ftpkit.fileinfo.FileInfo} of what is at
            C{toPath}, or C{None} for nothing.
        @param renaming: renames, returning a Deferred.
        @return: a Deferred firing once renamed, or failing with
            L{QuotaExceeded} before anything is renamed when the keys it
            adds do not fit.
        """
        usage = self._usage
        changes = usage.changes
        added, moved = yield self._keysAdded(fromPath, toPath)
        if replaced is not None:
            # Its key goes; its content may stay held by a download.
            added -= self._keyBytes(toPath)
        reserved = max(0, added)
        while reserved and not usage.reserveBytes(reserved, self._quota):
            if not (yield self.reclaimed()):
                raise QuotaExceeded("Exceeded storage allocation: the new"
                                    " names take more room than is left")
        try:
            yield renaming()
            if moved is not None:
                # Counted again where they went: equal, and no change of
                # the home told meanwhile, every key that moved was
                # counted; else the next measurement sees the new keys.
                after = yield self._entriesBelow(self._at(toPath))
                if after != moved or usage.changes != changes:
                    usage.invalidate()
        finally:
            usage.releaseBytes(reserved)
        if replaced is not None:
            added -= replaced.size if replaced.isFile else 0
        usage.adjust(added, files=-1 if replaced is not None else 0)
        for path in (fromPath, toPath):
            usage.reads.left(self._at(path))
            usage.names.changed(self._at(path))

    @defer.inlineCallbacks
    def uploading(self, path, offset, append, info, opening, watch=None):
        """
        Open an upload that counts its bytes and refuses to go past the
        byte quota; a new file must have room in the file quota, and its
        key in the byte quota (L{FileQuotaExceeded}, L{QuotaExceeded}
        otherwise, before anything is opened: L{_reserveEntry});
        replacing a file, or continuing a cut upload, adds none. One
        that continues a cut upload keeps none of the target's bytes
        (the cut upload's are counted already, and it replaces the
        target once complete), and, where keys count
        (C{entryBytes}), has the usage measured again once complete: its
        hidden key goes, the target's comes (before session 51
        the target's bytes up to the offset stayed counted as well as
        the cut upload's: on C{fsspec:memory://?size=} a resume over a
        file left its cut upload counted for good). Call once
        L{measured}.

        @param path: its path.
        @param offset: where it starts.
        @param append: whether it appends.
        @param info: the L{ftpkit.fileinfo.FileInfo} of what is at
            C{path}, or C{None} for nothing.
        @param opening: opens the wrapped shell's file, returning a
            Deferred.
        @param watch: the L{watch} of C{path} taken before C{info} was
            found, or C{None} for one taken now: the upload counts from
            C{info} unless another session changes the name before it is
            complete (the usage is then measured again). The upload
            unwatches it, or this once it fails.
        @return: a Deferred firing with the L{ftpkit.interfaces.IWriteFile}.
        """
        if watch is None:
            watch = self.watch(path)
        try:
            return (yield self._uploading(path, offset, append, info,
                                          opening, watch))
        except BaseException:
            self.unwatch(watch)
            raise

    @defer.inlineCallbacks
    def _uploading(self, path, offset, append, info, opening, watch):
        """
        L{uploading}, once C{path} is watched.
        """
        inPlace = bool(append or offset)
        oldSize = info.size if info is not None and info.isFile else 0
        continues = yield self._continuesCut(path, inPlace)
        kept = 0 if continues else (
            oldSize if append else min(offset, oldSize))
        newFile = info is None and not continues
        keyBytes = (yield self._roomForEntry(path)) if newFile else 0
        try:
            writeFile = yield opening()
        except BaseException:
            if newFile:
                self._settleEntry(keyBytes, made=False)
            raise
        quotaFile = (QuotaRandomWriteFile
                     if IRandomWriteFile.providedBy(writeFile)
                     else QuotaWriteFile)
        return quotaFile(writeFile, self._usage, self._quota, oldSize, kept,
                         inPlace, newFile, self._at(path), keyBytes,
                         self.reclaimed if self._reclaim else None,
                         remeasure=continues
                         and self._entryBytes is not None, watch=watch)

    @defer.inlineCallbacks
    def _continuesCut(self, path, inPlace):
        """
        Whether an upload to C{path} continues (in place) a cut upload
        the shell kept for a resume (L{IFTPShellResume}), a file counted
        already: it adds no file to those the file quota counts.

        @return: a Deferred firing with C{True} or C{False}.
        """
        if inPlace and IFTPShellResume.providedBy(self._shell):
            return (yield self._shell.resumableSize(path)) is not None
        return False

    def _at(self, path):
        """
        @param path: a path of the shell.
        @return: the path as the quota's home names it.
        """
        return self._where + path

    def _keyBytes(self, path):
        """
        @param path: a path of the shell.
        @return: the bytes an entry at C{path} costs besides its content
            (see C{entryBytes}).
        """
        if self._entryBytes is None:
            return 0
        return self._entryBytes(self._at(path))

    def reclaimed(self):
        """
        Drop the oldest cut upload the quota counts, for room (see
        C{reclaim}).

        @return: a Deferred firing with whether one was dropped.
        """
        if self._reclaim is None:
            return defer.succeed(False)
        return self._reclaim()

    @defer.inlineCallbacks
    def _roomForEntry(self, path):
        """
        L{_reserveEntry}, dropping cut uploads for room
        (L{reclaimed}) while it does not fit.

        @return: a Deferred firing with what L{_reserveEntry} gives, or
            failing as it does once nothing is left to drop.
        """
        while True:
            try:
                return self._reserveEntry(path)
            except QuotaExceeded:
                if not (yield self.reclaimed()):
                    raise

    def _reserveEntry(self, path):
        """
        Count a file or directory about to be made at C{path}, and the
        bytes of its key, if they fit (call once measured).

        @return: the bytes of its key; L{_settleEntry} must follow.
        @raise FileQuotaExceeded: past the file quota.
        @raise QuotaExceeded: when its key's bytes do not fit in the byte
            quota, saying so (they were refused as "too many files"
            before session 51, where C{--realm memory} says the bytes
            the server holds at most). Nothing is counted then.
        """
        usage = self._usage
        if not usage.reserveFile(self._fileQuota):
            raise FileQuotaExceeded()
        size = self._keyBytes(path)
        if size and not usage.reserveBytes(size, self._quota):
            usage.settleFile(made=False)
            raise QuotaExceeded(f"Exceeded storage allocation: at most "
                                f"{self._quota} bytes may be stored")
        return size

    def _settleEntry(self, size, made):
        """
        End a L{_reserveEntry} that gave C{size}.

        @param made: whether the entry was made.
        """
        self._usage.settleFile(made)
        settleEntryBytes(self._usage, size, made)

    @defer.inlineCallbacks
    def _keysAdded(self, fromPath, toPath):
        """
        Measure what renaming C{fromPath} to C{toPath} adds to the keys:
        the difference of their lengths, for the entry and for each entry
        below a directory (L{ftpkit.shells.quotas.QuotaUsage.current}
        measured first).

        @return: a Deferred firing with the bytes added (negative when
            the keys get shorter; 0 when C{fromPath} is not there, and the
            rename fails), and the entries of a directory counted (the
            directory's own included), or C{None} for none counted.
        """
        longer = self._keyBytes(toPath) - self._keyBytes(fromPath)
        if not longer:
            return 0, None
        yield self._usage.current()
        source = yield statOrNone(self._shell, fromPath)
        if source is None:
            return 0, None
        if not source.isDirectory:
            return longer, None
        entries = yield self._entriesBelow(self._at(fromPath))
        return longer * entries, entries
