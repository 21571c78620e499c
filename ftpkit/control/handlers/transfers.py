"""
Commands that move data: RETR STOR APPE, with REST and ABOR (STOU:
L{ftpkit.control.handlers.unique}). What every transfer goes through
(its data connection, its pacing, a file sent or received) is
L{ftpkit.control.handlers.transferring}, whose names L{Transfer},
L{shortDownload}, L{abortWrite} and L{REUSE_REFUSED} are importable from
here too.
"""

from ftpkit.control.coroutines import UNSETTLED, settled
from ftpkit.control.handlers.transferring import (  # noqa: F401 (importable from here)
    REUSE_REFUSED,
    Transfer,
    Transferring,
    abortWrite,
    shortDownload,
)
from ftpkit.errors import InvalidPath, NoSuchFile
from ftpkit.interfaces import IFTPShellResume
from ftpkit.protocol import paths
from ftpkit.protocol.access import CHANGE, CREATE
from ftpkit.protocol.commands import parseREST
from ftpkit.protocol.replies import shownName
from ftpkit.shells.release import release

REST_APPE_REFUSED = ("APPE appends at the end of the file, not at the REST"
                     " offset %d: use REST and STOR to resume from it")
"""The reply to C{APPE} after C{REST N} where N is not the file's size
(L{TransferCommands.ftp_APPE})."""


def restartText(offset, binary, uploads):
    """
    The text of C{REST}'s C{350}: the commands that can resume from the
    offset in this session, with C{TYPE I} first where the current
    C{TYPE A} would have them refused (L{REST_ASCII_REFUSED}).

    @param offset: the offset taken.
    @param binary: the session is in C{TYPE I}.
    @param uploads: the user may upload from that offset at all (a
        resumed upload changes a file: not for a read-only user, nor an
        anonymous one; nor on storage that writes whole files).
    @return: the reply text.
    """
    verbs = "RETR or STOR" if uploads else "RETR"
    if offset and not binary:
        return "Restarting at %d; send TYPE I, then %s" % (offset, verbs)
    return "Restarting at %d; send %s" % (offset, verbs)


RESUME_REFUSED = (502, "Resuming uploads (REST before STOR) is not"
                  " supported by this storage: it writes whole files; send"
                  " the whole file")
"""The reply to C{STOR} after C{REST N}, N above 0, where the shell says
its uploads cannot write at an offset
(L{ftpkit.interfaces.IFTPShellUploadOffsets}): nothing is opened."""

APPEND_REFUSED = (502, "Appending (APPE) is not supported by this storage:"
                  " it writes whole files; send the whole file with STOR")
"""The reply to C{APPE} where the shell says its uploads cannot write at
an offset: nothing is opened."""


REST_ASCII_REFUSED = (554, "Requested action not taken: invalid REST"
                      " parameter (no restart in TYPE A; use TYPE I)")
"""The reply to a transfer from C{REST N}, N above 0, in C{TYPE A}
(L{TransferCommands.refuseASCIIRestart})."""


NAMES_DIRECTORY = "File name not allowed: it names a directory"
"""The reply to C{STOR} or C{APPE} of C{"a/"} or C{"a/."}
(L{TransferCommands._uploadTarget})."""


class TransferCommands(Transferring):
    """
    Data transfers: the commands (what they go through: L{Transferring}).
    """

    sessionFields = frozenset(["shell", "access", "binary", "restartOffset"])

    def _takeOffset(self):
        session = self.session
        offset, session.restartOffset = session.restartOffset, 0
        return offset

    def refuseASCIIRestart(self, offset):
        """
        A transfer from a C{REST} offset above 0 in C{TYPE A} is refused,
        as its error (RFC 3659 section 5.3): the offset counts the octets
        of the data stream, CRLF line ends and all, which are not the
        file's stored bytes, and a client's partial copy holds either
        count (CRLF kept, as FileZilla keeps it on Windows; LF, as on
        Unix), so whichever the server took, a resume would silently
        skip or repeat bytes for the other (vsftpd, Pure-FTPd, ProFTPD
        and pyftpdlib refuse it too).

        @param offset: the transfer's C{REST} offset, used up.
        @return: L{REST_ASCII_REFUSED}, or C{None} to go on.
        """
        if offset and not self.session.binary:
            return REST_ASCII_REFUSED
        return None

    def ftp_REST(self, argument):
        """
        Start the next RETR or STOR at an offset (in TYPE I:
        L{refuseASCIIRestart}).
        """
        offset = self.session.restartOffset = parseREST(argument)
        return (350, restartText(
            offset, self.session.binary,
            self.session.access.allows(CHANGE if offset else CREATE)
            and (not offset or self.uploadsWriteAtOffsets())))

    def ftp_ABOR(self, argument):
        """
        C{226} for an C{ABOR} that ended a transfer on arrival
        (L{abortOnArrival}: the session's command queue counts them,
        L{ftpkit.control.commandqueue.CommandQueue.answersAbort}); with no
        transfer to abort, close the data channel: C{225}.
        """
        if self._queue.answersAbort():
            return (226, "ABOR command successful")
        self.dataChannel.close()
        return (225, "No transfer to abort")

    async def ftp_RETR(self, argument):
        """
        Send a file; after C{REST N}, from byte N, which must not be past
        its end (RFC 3659's 554, as ProFTPD and pyftpdlib reply: an empty
        download there would look complete). The 150 reply announces the
        count of bytes to be sent in TYPE I only.
        """
        session = self.session
        offset = self._takeOffset()
        refusal = self.refuseASCIIRestart(offset)
        if refusal is not None:
            return refusal
        path = await self.resolveEntry(argument)
        opening = self.whileOpening(session.shell.openForReading(path, offset))
        # An open answered at once (a file in the kernel's cache) is taken
        # without awaiting its fired Deferred, as _store takes an upload's.
        readFile = settled(opening)
        if readFile is UNSETTLED:
            readFile = await opening
        if offset and readFile.size == 0:
            try:
                pastEnd = await self._pastEnd(path, offset)
            except BaseException:
                release(readFile)
                raise
            if pastEnd:
                release(readFile)
                return (554, "Requested action not taken: invalid REST"
                        " parameter (past the end of the file)")
        # In TYPE A every LF is sent as CRLF: the count sent is not the
        # file's without reading it, so none is announced.
        size = ("" if readFile.size is None or not session.binary
                else " (%d bytes)" % readFile.size)
        text = paths.toText(path)
        return await self.sendFile(
            readFile, session.binary, "RETR " + text,
            "Opening %s mode data connection for %s%s"
            % ("BINARY" if session.binary else "ASCII", shownName(text),
               size))

    async def _pastEnd(self, path, offset):
        """
        @param path: a file just opened for a download from C{offset}
            that has no byte left there.
        @param offset: where the download would start.
        @return: whether C{offset} is past the file's end (not at it);
            C{ABOR} ends the wait (L{whileOpening}).
        """
        try:
            info = await self.whileOpening(self.session.shell.stat(path))
        except NoSuchFile:
            return False
        return info.size is not None and offset > info.size

    def _store(self, path, offset, append):
        # Not a coroutine itself: an open answered at once (the usual
        # upload) is received by receiveFile's coroutine alone, without
        # one more awaiting it.
        opening = self.whileOpening(
            self.session.shell.openForWriting(path, offset, append),
            abortWrite)
        writeFile = settled(opening)
        if writeFile is UNSETTLED:
            return self._storeOpening(opening, path, offset, append)
        return self._receive(writeFile, path, offset, append)

    async def _storeOpening(self, opening, path, offset, append):
        writeFile = await opening
        return await self._receive(writeFile, path, offset, append)

    def _receive(self, writeFile, path, offset, append):
        verb = "APPE " if append else "STOR "
        text = paths.toText(path)
        return self.receiveFile(
            writeFile, verb + text,
            "Opening %s mode data connection for %s"
            % ("BINARY" if self.session.binary else "ASCII",
               shownName(text)),
            whole=not (append or offset), target=path)

    async def ftp_STOR(self, argument):
        """
        Receive a file (replacing one only once it is complete); after
        C{REST N}, continue it from byte N, which must not be past its end
        (RFC 3659's 554: writing there would leave a hole, a sparse file
        of any size the client names). Where the storage writes whole
        files (L{ftpkit.interfaces.IFTPShellUploadOffsets}), C{REST N}
        then C{STOR} gets L{RESUME_REFUSED} and opens nothing.
        """
        offset = self._takeOffset()
        if offset and not self.uploadsWriteAtOffsets():
            return RESUME_REFUSED
        refusal = self.refuseASCIIRestart(offset)
        if refusal is not None:
            return refusal
        path = self._uploadTarget(argument)
        if offset and self.session.access.allows(CHANGE):
            # (Who may not change files is refused by the shell's guard.)
            size = await self._resumeFrom(path)
            if size is None or offset > size:
                return (554, "Requested action not taken: invalid REST"
                        " parameter (past the end of the file)")
        return await self._store(path, offset, append=False)

    async def _resumeFrom(self, path):
        """
        @param path: an upload's target.
        @return: how many bytes an upload to it may continue from: those of
            its partial upload kept for a resume, else the file's size;
            C{None} when there is neither. C{ABOR} ends the wait
            (L{whileOpening}).
        """
        shell = self.session.shell
        if IFTPShellResume.providedBy(shell):
            kept = await self.whileOpening(shell.resumableSize(path))
            if kept is not None:
                return kept
        try:
            info = await self.whileOpening(shell.stat(path))
        except NoSuchFile:
            return None
        return info.size if info.isFile else None

    async def ftp_APPE(self, argument):
        """
        Receive data appended to a file. After C{REST N} with N above 0 it
        is refused (C{503}) unless N is where the append goes, the size an
        upload to it continues from (L{_resumeFrom}), which a client
        resuming with C{REST} of the C{SIZE} it read then C{APPE} sends:
        elsewhere the bytes would go where the client did not ask,
        silently, were N ignored (as vsftpd and Pure-FTPd ignore it;
        pyftpdlib and ProFTPD refuse it whatever N). C{REST 0} (which
        FileZilla sends before a transfer) asks for nothing. Where the
        storage writes whole files, every C{APPE} gets L{APPEND_REFUSED}
        and opens nothing; so does one whose data connection cannot come
        (L{dataRefused}: its open would make a new name's file), and one
        sent in one write with an C{ABOR} (L{abortRead}): it waits for
        that C{ABOR} to end it (C{426}, the C{ABOR} C{226}, as an open
        under way is ended) before its open, which made the file.
        """
        offset = self._takeOffset()
        if not self.uploadsWriteAtOffsets():
            return APPEND_REFUSED
        refusal = self.refuseASCIIRestart(offset)
        if refusal is not None:
            return refusal
        path = self._uploadTarget(argument)
        if offset and (not self.session.access.allows(CHANGE)
                       or await self._resumeFrom(path) != offset):
            return (503, REST_APPE_REFUSED % offset)
        if self.dataRefused(self.dataChannel):
            return self.clearDataRefusal()
        if self.abortRead():
            # The ABOR read with it ends the wait as it ends an open's
            # (426, the ABOR 226), before the open makes a new name's file.
            await self.whileOpening(self.whenInputRead())
        return await self._store(path, 0, append=True)

    def _uploadTarget(self, argument):
        """
        @param argument: C{STOR}'s or C{APPE}'s argument.
        @return: the path of the file it names.
        @raise InvalidPath: (C{553}) when its spelling names a directory
            (C{"a/"}, C{"a/."}): resolved, it would name C{a}, and the
            upload would make a file where the client named a directory.
        """
        if paths.namesDirectory(argument):
            raise InvalidPath(NAMES_DIRECTORY)
        return self.resolve(argument)
