"""
An C{APPE} of a name no file has, on the disk
(L{ftpkit.shells.filesystem.FilesystemShell}): its open makes the file
(L{openAppended}), before the data connection comes, and an upload cut
before any byte of it arrived (C{ABOR} while it waited for its data
connection, or on a connection that brought nothing; the client gone)
left that file behind, empty, as no client asked (session 53). Its
writer (L{NewAppendWriter}) takes the file away again then, and when the
upload is dropped whole (L{ftpkit.interfaces.IPartialWriteFile.discard},
its first bytes over a limit): the file is left as it was before the
upload, none, as a C{STOR} of a new name, a C{STOU} and the memory realm's
C{APPE} leave it. One that received bytes and was cut keeps them in
place, for a resume (C{SIZE}, then C{APPE}).

vsftpd (C{delete_failed_uploads}, off by default) and ProFTPD
(C{DeleteAbortedStores}) remove a failed upload's file when told to,
ProFTPD whatever it held before the upload; Pure-FTPd, like vsftpd by
default, leaves the empty file. This removes only the file the upload
made, and only while it holds none of anyone's bytes.
"""

import os

from ftpkit.fileinfo import StorageChange
from ftpkit.shells.diskwriter import FileWriter
from ftpkit.shells.uploadremoval import removeSeen

_FLAGS = os.O_WRONLY | os.O_APPEND


def openAppended(opener, target):
    """
    Open the file an C{APPE} writes in place (blocking), making it if
    there is none.

    @param opener: L{ftpkit.shells.diskpaths.openRegular}, or what
        stands for it (C{diskuploads} passes the one it names, which a
        test may wrap).
    @param target: the resolved path, C{bytes}.
    @return: C{(fd, stat_result, created)}: C{created} tells whether this
        open made the file (a file another process made in between is
        opened as it is, not made).
    @raise OSError: as C{opener} raises it.
    """
    try:
        return (*opener(target, _FLAGS), False)
    except FileNotFoundError:
        pass
    try:
        return (*opener(target, _FLAGS | os.O_CREAT | os.O_EXCL), True)
    except FileExistsError:
        return (*opener(target, _FLAGS), False)


class NewAppendWriter(FileWriter):
    """
    The L{FileWriter} of an C{APPE} whose open made its file
    (L{openAppended}): cut with none of its bytes written, or dropped
    whole, it removes that file, still held (no other upload writes it
    meanwhile: L{ftpkit.shells.uploadlocks.holdInPlace}), if its path
    still names it (L{removeSeen}: a file moved there meanwhile stays).
    """

    def _removeFiles(self, cutBack):
        """
        See L{FileWriter._removeFiles}: the file made is removed first,
        and what it left (L{leftBehind}) tells its entry gone: a file
        written in place is counted as there before it (a quota settles
        the file it reserved for it as made).
        """
        fd = self._fd
        removed = False
        if fd is not None:
            status = os.fstat(fd)
            if cutBack or status.st_size == 0:
                removed = removeSeen(self._target, status)
        FileWriter._removeFiles(self, cutBack)
        if removed:
            self._left = StorageChange(self._left.bytes, self._left.files - 1)

    def _removed(self):
        """
        See L{FileWriter._removed}: the file made too, which a discard
        removes whatever it holds (not in the reactor thread when large).
        """
        return (*FileWriter._removed(self), self._target)
