"""
L{LeftBehind}: what the end of a disk upload cut short left in the
directory (L{ftpkit.interfaces.IAccountedWriteFile}), which
L{ftpkit.shells.diskwriter.FileWriter} records as it keeps or removes its
file, so that a quota counts it without measuring the home again.
"""

from ftpkit.fileinfo import StorageChange


class LeftBehind:
    """
    A mixin recording what an upload's abort or discard left.

    @ivar _initialSize: the bytes the upload's file held when opened,
        there before it (the target written in place, a partial upload
        continued); set by the class mixing it in.
    """

    _left = None
    _initialSize = 0

    def leftBehind(self):
        """
        See L{ftpkit.interfaces.IAccountedWriteFile.leftBehind}.
        """
        return self._left

    def _leave(self, change, resumed=False):
        """
        Record what the upload's end left.

        @param change: how the files changed, that of the upload counted
            only when written in place (its bytes before are taken off
            here).
        @param resumed: the upload continued a partial upload, whose
            bytes and entry were there before.
        """
        self._left = StorageChange(
            change.bytes - self._initialSize, change.files - resumed)
