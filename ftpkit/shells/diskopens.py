"""
L{FileOpens}: the methods of L{ftpkit.shells.filesystem.FilesystemShell}
that open files: a download's (at once where the kernel's cache holds its
path, L{ftpkit.shells.cachedopen}; else in a disk thread, or as a short
call where C{openat2} cannot tell), an upload's and a new file's
(L{ftpkit.shells.diskuploads}: a short call where that is safe,
L{ftpkit.shells.shortcalls}), a checksum's
(L{ftpkit.shells.diskhash}, in the checksums' lane), and the size a
resume continues from (L{ftpkit.shells.uploads.resumableSize}).
"""

import functools
import os
import stat as statModule

from twisted.internet.defer import succeed

from ftpkit.errors import IsDirectory
from ftpkit.shells import cachedopen, uploads
from ftpkit.shells.cachedopen import openCached
from ftpkit.shells.digests import newDigest
from ftpkit.shells.diskhash import checksum
from ftpkit.shells.diskpaths import OPEN_FLAGS, openRegular
from ftpkit.shells.diskreader import FileReader
from ftpkit.shells.diskuploads import openNew, openUpload


class FileOpens:
    """
    A base of L{ftpkit.shells.filesystem.FilesystemShell}: its methods
    that open files.

    A class using it provides C{_jail} (its
    L{ftpkit.shells.diskpaths.Jail}), C{_resolve(path, followLast=True)}
    (a path's real path, in a worker thread), C{_statOf(path)} (what a
    path names, in a worker thread), C{_run}, C{_runShort} and
    C{_runHash} (run a blocking function with its arguments in a disk
    thread, at once where short calls may be, in the checksums' lane:
    each a Deferred failing with L{ftpkit.errors.FTPError}, C{_runShort}
    C{None} where it did not run), C{_raise(error)}, C{_resumer} (who
    the shell acts for, or C{None}), C{_runOnDescriptors} (an upload's
    calls at once on its descriptors, or C{None}),
    C{_dropped(partial, resumer, size, reason)} (a stale partial upload
    was removed), C{_makeRoom(fd)} (makes room on a full file system,
    L{ftpkit.shells.diskroom.makeRoom}) and C{_partialCap} (a
    L{ftpkit.shells.diskcap.PartialCap}, or C{None}) with C{_kept(path,
    stat, resumer)} (a cut upload kept bytes).
    """

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{IFTPShellHash.hash}: L{ftpkit.shells.diskhash.checksum}, in
        the checksums' own lane (L{ftpkit.shells.diskthreads.HASHES}), so
        that hashing large files never holds up other file commands.

        @raise ParameterNotImplemented: for an algorithm
            L{ftpkit.shells.digests.newDigest} lacks.
        """
        return checksum(self._runHash,
                        functools.partial(self._openForHash, path, algorithm,
                                          end), start)

    def _openForHash(self, path, algorithm, end):
        """
        The first, blocking, step of L{hash}.

        @return: the digest object, the open file and where to stop.
        """
        digest = newDigest(algorithm)
        fd, result = openRegular(self._resolve(path), os.O_RDONLY)
        stop = result.st_size if end is None else min(end, result.st_size)
        return digest, fd, stop

    def openForReading(self, path, offset=0):
        """
        See L{ftpkit.interfaces.IFTPShell.openForReading}; only regular
        files can be read.

        A file whose path is in the kernel's cache and has no link on the
        way is opened at once (L{ftpkit.shells.cachedopen}); any other goes to a
        disk thread. Where C{openat2} cannot tell (L{cachedopen.gaveUp}:
        a kernel before Linux 5.6, a seccomp filter refusing it), the open
        is a short call (L{ftpkit.shells.shortcalls}), as an upload's is:
        at once on a local file system, unless its calls have been slow.
        """
        if not path:
            return self._run(self._readRoot)
        reader = self._openCachedForReading(path, offset)
        if reader is not None:
            return succeed(reader)
        if cachedopen.gaveUp():
            opening = self._runShort(self._openForReading, path, offset)
            if opening is not None:
                return opening
        return self._run(self._openForReading, path, offset)

    def _openCachedForReading(self, path, offset):
        """
        Open a regular file for reading without waiting on the disk.

        @return: a L{FileReader}, or C{None} when the threaded way must
            decide.
        """
        target = self._jail.joined(path)
        if target is None:
            return None
        fd = openCached(target, os.O_RDONLY | OPEN_FLAGS)
        if fd is None:
            return None
        try:
            result = os.fstat(fd)
        except OSError:
            result = None
        if result is None or not statModule.S_ISREG(result.st_mode):
            os.close(fd)
            return None
        return FileReader(self._run, fd, offset, result.st_size,
                          result.st_dev)

    def _readRoot(self):
        """
        The blocking part of L{openForReading} for the root, which is
        never read: a directory, or not one any more
        (L{ftpkit.shells.filesystem.FilesystemShell._statOf}).

        @raise IsDirectory: for the root that is a directory.
        @raise NoSuchFile: for one that is not.
        """
        self._statOf(())
        raise IsDirectory()

    def _openForReading(self, path, offset):
        """
        The blocking part of L{openForReading}.
        """
        fd, result = openRegular(self._resolve(path), os.O_RDONLY)
        return FileReader(self._run, fd, offset, result.st_size,
                          result.st_dev)

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{ftpkit.interfaces.IFTPShell.openForWriting}.

        With C{offset=0, append=False} the upload goes to a temporary file,
        renamed over the target (keeping the old file's permissions but
        for the set-user-ID and set-group-ID bits,
        L{ftpkit.shells.diskuploads.PRIVILEGE_BITS}) by
        L{ftpkit.interfaces.IWriteFile.close}, or, for a target that does
        not exist, to a file with no name that gets the target's name then
        (L{uploads.createAnonymous}); cut short
        (L{ftpkit.interfaces.IWriteFile.abort}), it is kept as the
        target's partial upload. With C{offset > 0} (C{REST} then
        C{STOR}) or C{append}, a partial upload of the target is continued
        (from C{offset}, or at its end) and replaces the target when
        complete (see L{ftpkit.shells.uploads}). Without one, the target is
        written in place from C{offset} and truncated after the last byte
        at close (L{ftpkit.errors.RestPastEnd} when shorter than
        C{offset}, or missing; L{ftpkit.errors.FileChanged} when another
        program cut it below the upload's
        bytes meanwhile), or opened C{O_APPEND}, which creates a missing
        file; the bytes already written stay when the upload is cut, so
        that a client can resume again.
        """
        if not path:
            return self._run(self._raise, IsDirectory())
        opening = self._runShort(self._openForWriting, path, offset, append,
                                 True)
        if opening is None:
            opening = self._run(self._openForWriting, path, offset, append)
        return opening

    def _openForWriting(self, path, offset, append, atOnce=False):
        """
        The blocking part of L{openForWriting}.

        @param atOnce: it runs in the reactor thread
            (L{ftpkit.shells.shortcalls.ShortCalls.__call__}): see
            L{ftpkit.shells.diskuploads.openUpload}.
        """
        opened = None
        if len(path) > 1 and not (offset or append):
            # (A file of the root: its lstat tells as much, and one
            # replacing it would open and close the root for nothing.)
            opened = self._jail.openParent(path, atOnce)
        if opened is None:
            opened = self._jail.walk(path) + (None,)
        target, found, directory = opened
        return openUpload(self._run, self._runShort, target, found, offset,
                          append, atOnce, self._resumer, self._dropped,
                          directory,
                          self._runOnDescriptors if atOnce else None,
                          self._makeRoom, self._onKept())

    def openForCreating(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellCreate.openForCreating}: the
        upload goes to a file with no name, or a temporary file, as for
        L{openForWriting}, which L{ftpkit.interfaces.IWriteFile.close}
        links to the target's name, failing if that name exists by then.
        """
        if not path:
            return self._run(self._raise, IsDirectory())
        opening = self._runShort(self._openForCreating, path)
        if opening is None:
            opening = self._run(self._openForCreating, path)
        return opening

    def _openForCreating(self, path):
        """
        The blocking part of L{openForCreating}.
        """
        return openNew(self._run, self._runShort, self._resolve(path),
                       self._resumer, self._dropped, self._makeRoom,
                       self._onKept())

    def _onKept(self):
        """
        @return: what an upload tells of the bytes it kept when cut
            (C{_kept}), or C{None} where no cap counts them.
        """
        return None if self._partialCap is None else self._kept

    def resumableSize(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellResume.resumableSize}.
        """
        return self._run(lambda: uploads.resumableSize(
            self._resolve(path), resumer=self._resumer,
            onDropped=self._dropped))
