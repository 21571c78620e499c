"""
L{ReadGuard}: holds each read of an L{IRandomReadFile} to the promise of
L{IRandomReadFile.readAt} (C{bytes}, no more than asked for, or an
L{FTPError}), so that a storage plugin's mistake fails the download with
one log line instead of sending the client something other than the file.
"""

from twisted.logger import Logger
from twisted.python.failure import Failure

from ftpkit.errors import FTPError, LocalError
from ftpkit.shells.heldcalls import describeFailure

_log = Logger()

_BYTES_LIKE = (bytes, bytearray, memoryview)
"""What a read may fire with."""


class ReadGuard:
    """
    The checks of one file's reads, logging the first broken one only
    (the reads in flight together often break together).
    """

    def __init__(self, randomFile):
        """
        @param randomFile: the L{IRandomReadFile} read (named in the log).
        """
        self._file = randomFile
        self._complained = False

    def checked(self, data, offset, length):
        """
        Hold a read to its promise: anything but C{bytes} (or a
        C{bytearray}, a C{memoryview}) of no more than C{length} would go
        to the client as if it were the file (more bytes than asked
        overlap the next read's).

        @param data: what the read fired with.
        @param offset: where it read from.
        @param length: the most bytes it was asked for.
        @return: C{data}.
        @raise LocalError: when C{data} breaks the promise.
        """
        if isinstance(data, _BYTES_LIKE) and len(data) <= length:
            return data
        if isinstance(data, _BYTES_LIKE):
            broken = "%d bytes, more than the %d asked for" % (
                len(data), length)
        else:
            broken = "a %s, not bytes" % (type(data).__name__,)
        if self._firstComplaint():
            _log.error("{file!r}.readAt({offset}, {length}) gave {broken}",
                       file=self._file, offset=offset, length=length,
                       broken=broken)
        raise LocalError()

    def failed(self, failure):
        """
        Hand on a read's L{FTPError} as it is; log any other exception
        (a bug or an outage in the storage) and hand on a L{LocalError}.

        @param failure: the read's L{Failure}.
        @return: C{failure}, or a L{Failure} of L{LocalError}.
        """
        if failure.check(FTPError):
            return failure
        if self._firstComplaint():
            _log.error("Reading {file!r} failed: {why}", file=self._file,
                       why=describeFailure(failure))
        return Failure(LocalError())

    def _firstComplaint(self):
        """
        @return: whether no read of this file was logged yet.
        """
        first, self._complained = not self._complained, True
        return first
