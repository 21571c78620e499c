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

    def __init__(self, randomFile, noted=None):
        """
        @param randomFile: the L{IRandomReadFile} read (named in the log).
        @param noted: counts the line with the session's others, for a
            file of a shell from outside ftpkit
            (L{ftpkit.shells.contract.ContractShell.noted}), or C{None}.
        """
        self._file = randomFile
        self._noted = noted
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
        note = self._firstComplaint()
        if note is not None:
            _log.error("{file!r}.readAt({offset}, {length}) gave {broken}"
                       "{note}", file=self._file, offset=offset,
                       length=length, broken=broken, note=note)
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
        note = self._firstComplaint()
        if note is not None:
            _log.error("Reading {file!r} failed: {why}{note}",
                       file=self._file, why=describeFailure(failure),
                       note=note)
        return Failure(LocalError())

    def _firstComplaint(self):
        """
        @return: C{None} when a read of this file was logged already, or
            its line is left out (C{noted}); else the text ending the line.
        """
        if self._complained:
            return None
        self._complained = True
        if self._noted is None:
            return ""
        return self._noted(type(self._file).__qualname__, "readAt")
