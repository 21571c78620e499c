"""
How a failed upload ends, once its transfer gave up
(L{ftpkit.control.handlers.transferring.Transferring.receiveFile}): its
data connection (L{endFailedConnection}) and its file (L{endFailedFile}).
An upload cut (its connection broke, C{ABOR}, the session ended) differs
from one that failed for its own sake (a quota or size limit, C{552}; the
file's own error): L{refusedFor} tells them apart.
"""

from ftpkit.errors import FTPError, InsufficientStorage, TransferAborted
from ftpkit.interfaces import IPartialWriteFile


def refusedFor(reason):
    """
    @param reason: why an upload failed.
    @return: whether it failed for its own sake, not cut.
    """
    return isinstance(reason, FTPError) and not isinstance(
        reason, TransferAborted)


def endFailedConnection(connection, reason):
    """
    End a failed upload's data connection: one refused for its own sake
    (L{refusedFor}) is drained (its C{drainRefused}), so that its client
    reads the reply before anything it would take for a network error
    (L{ftpkit.data.uploaddrain}); one cut is dropped at once (a reset).

    @param connection: the upload's data connection.
    @param reason: the exception the upload failed with.
    """
    if refusedFor(reason):
        connection.drainRefused()
    else:
        connection.abort()


async def endFailedFile(writeFile, reason, whole=False):
    """
    End a failed upload's file: one that was cut, or that wrote a whole
    file onto a full disk (C{452}, which clients retry as a resume from
    C{SIZE}), is aborted, which may keep what it received for a resume
    (L{IPartialWriteFile}); any other that failed for its own sake
    (L{refusedFor}: a quota or size limit, C{552}) is discarded whole
    where the file can tell the two apart.

    @param writeFile: the L{IWriteFile}.
    @param reason: the exception.
    @param whole: the upload writes a whole file (C{STOR} without C{REST}).
    """
    transient = whole and isinstance(reason, InsufficientStorage)
    if (refusedFor(reason) and not transient
            and IPartialWriteFile.providedBy(writeFile)):
        await writeFile.discard()
    else:
        await writeFile.abort()
