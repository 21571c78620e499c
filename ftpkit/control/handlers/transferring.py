"""
What every transfer goes through (L{Transferring}): its data connection,
its pacing, a file sent or received, C{ABOR} on arrival; which the
transfer commands (L{ftpkit.control.handlers.transfers}), C{STOU}
(L{ftpkit.control.handlers.unique}) and the listings
(L{ftpkit.control.handlers.listings}) use.
"""

from twisted.internet import defer
from twisted.internet.error import ConnectionClosed
from twisted.logger import Logger

from ftpkit.control.commandqueue import ABORTING, RUNNING, WAITING
from ftpkit.control.coroutines import UNSETTLED, settled
from ftpkit.control.failedupload import endFailedConnection, endFailedFile
from ftpkit.control.handlers.firstlost import firstOf
from ftpkit.control.opening import (
    Committing,
    Opening,
    closeOpened,
    storedLate,
)
from ftpkit.control.storagewait import waitAtMost
from ftpkit.data.movers import MOVED, Download, Upload
from ftpkit.data.movers.pacing import pacerFor, storedEnded
from ftpkit.deferreds import isDeferred
from ftpkit.errors import FTPError, TransferAborted
from ftpkit.protocol.sessionstate import rateLimitsOf
from ftpkit.shells.adapters import readFileFor, writeFileFor
from ftpkit.shells.heldcalls import describeFailure
from ftpkit.shells.release import release

_log = Logger()


class Transfer:
    """
    A transfer in progress, for STAT and ABOR.

    @ivar description: what is moving, e.g. C{"RETR /a.txt"}.
    @ivar connection: its data connection.
    @ivar mover: its L{ftpkit.data.movers.Mover}.
    @ivar aborted: ABOR was given.
    @ivar started: when its data connection opened (reactor seconds).
    @ivar finishing: a download's or listing's every byte was handed to
        its connection, which is closing, or waits for its rate to close
        (L{Transferring.sendFile}).
    @ivar completed: the C{ABOR} came once the connection had sent every
        byte and the end of the data: the transfer completed (RFC 959's
        C{226}, not C{426}).
    @ivar target: an upload's file (segments), for its event's
        C{localFile} (L{ftpkit.control.handlers.reporting.localFileOf}).
    """

    target = None
    started = 0.0
    finishing = False
    completed = False

    def __init__(self, description, connection, mover):
        self.description = description
        self.connection = connection
        self.mover = mover
        self.aborted = False

    def bytesMoved(self):
        """
        @return: bytes sent or received so far.
        """
        return self.mover.bytesMoved

    def status(self):
        """
        @return: a line for STAT.
        """
        return "%s: %d bytes transferred" % (self.description,
                                             self.bytesMoved())

    def abort(self):
        """
        End the data connection now: in order (a FIN) for a download, so
        that a client still reading it sees its end, not a reset.
        """
        self.aborted = True
        self.mover.abort()
        self.connection.closeInOrder()

    def clientLeft(self):
        """
        The client closed its control connection (without C{QUIT}: the
        session decides that case): L{abort}, unless the transfer is a
        download whose every byte was handed to its connection, which is
        closing in order (L{finishing}): its last bytes may still be in
        the transport, the client reading them after it closed the
        control connection; it goes on and ends as its data connection
        (its linger, its watchdog) does. An upload (never L{finishing}) is
        cut (kept for a resume): the end of its data connection cannot
        tell a complete upload from a killed client's, whose kernel ends
        both its connections in order.
        """
        if self.finishing:
            return
        self.abort()

    def abortOnArrival(self):
        """
        C{ABOR} arrived, or a drain's grace is over: L{abort}, the
        transfer being L{completed} if its connection had sent everything
        already (the client may well have read it all before it sent
        C{ABOR}; L{abort} ends it in order, so a client still reading
        gets every byte and the end of the data): L{wholeSent} judges.
        """
        if self.wholeSent():
            self.completed = True
        self.abort()

    def wholeSent(self):
        """
        The one judge of a download or listing complete before its send
        was over and its connection closed in order by L{Transferring}:
        on C{ABOR} (L{abortOnArrival}), or when the connection ended
        first or the send failed as it ended (L{endedWhole}).

        @return: whether it was finishing (its send over), or every byte
            of the file was handed over (the mover's C{sentWhole}: a
            client that read the last byte may end its TLS stream, or the
            connection, before the storage's send says it is over), and
            its connection then sent every byte and the end of its data
            (C{allSent}; once ended, it ended in order with nothing held).
        """
        return (self.finishing or self.mover.sentWhole()) and (
            self.connection.allSent())


def shortDownload(binary, size, sent):
    """
    Tell a download that ended before the size it was opened with.

    @param binary: whether it was sent in C{TYPE I}; in C{TYPE A} C{sent}
        and the reply count the file's bytes, not the more sent for LFs.
    @param size: the file's bytes to send, or C{None} if not known.
    @param sent: what the file's C{send} fired with: its bytes sent;
        C{None}, or anything but an C{int}, when not known (Twisted's
        C{FileSender} fires with the last byte).
    @return: the C{451} of a file that shrank while sent, or C{None}.
    """
    if size is None or type(sent) is not int or sent >= size:
        return None
    counted = ("bytes sent" if binary else
               "file bytes sent, counted before TYPE A's CRLF conversion")
    return (451, "File shrank during the transfer: %d of %d %s"
            % (sent, size, counted))


async def endedWhole(transfer, connection):
    """
    A download's send failed, or its connection ended before the send was
    over: whether it is complete all the same. A client that read the last
    byte may close the data connection (under TLS after its close_notify)
    before the storage's send is over: the send then fires later, or fails
    as the connection stops its producer (Twisted's C{FileSender}). Once
    every byte of the file was handed over and the connection has ended,
    or is ending, the transfer judges when it has
    (L{Transfer.wholeSent}).

    @param transfer: the running L{Transfer}, or C{None}.
    @param connection: its data connection.
    @return: whether the download completed.
    """
    if (transfer is None or not transfer.mover.sentWhole()
            or not connection.ending):
        return False
    await connection.whenLost()
    return transfer.wholeSent()


REUSE_REFUSED = ("Data connection refused: its TLS session does not resume"
                 " the control connection's (session reuse required)")
"""The text of the C{426} ending a transfer whose data connection the
C{--tls-require-session-reuse} check refused."""


def _aborted(connection):
    """
    @param connection: a transfer's data connection, just dropped.
    @return: the L{TransferAborted} to end the transfer with: one saying
        so when the TLS session reuse check refused the connection (Go
        clients such as rclone, and ftplib, do not resume the control
        connection's session), the generic one otherwise.
    """
    if getattr(connection, "tlsRefused", False):
        return TransferAborted(REUSE_REFUSED)
    return TransferAborted()


def abortWrite(writeFile):
    """
    Release an upload's file opened after its command was aborted.

    @param writeFile: an L{IWriteFile} or L{IRandomWriteFile}.
    @return: a Deferred firing once it is aborted.
    """
    return writeFileFor(writeFile).abort()


class Transferring:
    """
    What every transfer goes through, for the commands that move data.

    @ivar transfer: the running L{Transfer}, or C{None}.
    @ivar opening: the L{Opening} a transfer command waits for before
        its data connection, or C{None}.
    @ivar unsettled: the L{Opening}s (an upload's commit among them) that
        C{ABOR}, a drain's grace or the client leaving cut short, whose
        shell has not answered yet (L{whenSettled}), or C{None}.
    @ivar abortedBeforeTurn: the running command waited its turn behind
        an C{ABOR} the client sent after it
        (L{ftpkit.control.commandqueue.CommandQueue.abortedBeforeTurn}):
        its transfer gets no data connection.
    """

    sessionFields = frozenset(
        ["binary", "downloadRate", "uploadRate", "deflate"])
    transfer = None
    opening = None
    unsettled = None
    abortedBeforeTurn = False

    def _pacer(self, incoming):
        """
        What paces a transfer (L{pacerFor} decides).

        @param incoming: an upload (else a download or listing).
        @return: a L{ftpkit.data.movers.pacing.Pacer}, or C{None}.
        """
        session, factory = self.session, self.factory
        return pacerFor(incoming, factory.config, factory.totalLimits,
                        factory.reactor,
                        (session.downloadRate, session.uploadRate),
                        rateLimitsOf(session))

    def abortTransfer(self, sentCompletes=False, clientLeft=False):
        """
        Abort the running transfer, if any, or the wait for what its
        command opens (L{whileOpening}) or for its data connection: the
        session is going away (a drain's grace is over, the client left);
        the command replies C{426}.

        @param sentCompletes: a download or listing whose every byte and
            end of data went to the kernel already is complete (C{226}),
            as for an C{ABOR} (L{Transfer.abortOnArrival}): a drain's cut
            answered C{426} to a client that then read the whole file.
        @param clientLeft: the client closed the control connection: an
            upload's commit is waited for all the same
            (L{ftpkit.control.opening.Committing.clientLeft}), and an
            upload whose client ended its data connection goes on
            (L{Transfer.clientLeft}).
        """
        channel = self._dataChannel
        if self.opening is not None:
            if clientLeft:
                self.opening.clientLeft()
            else:
                self.opening.abort()
        elif self.transfer is not None:
            if sentCompletes:
                self.transfer.abortOnArrival()
            elif clientLeft:
                self.transfer.clientLeft()
            else:
                self.transfer.abort()
        elif channel is not None and channel.isConnecting:
            channel.close(TransferAborted("Transfer aborted"))

    def transferState(self):
        """
        @return: what the session's command queue needs to know of a
            transfer: L{ftpkit.control.commandqueue.RUNNING} while one
            runs (C{ABORTING} once aborted, until it ends), C{WAITING}
            while its command opens what it sends or receives or waits
            for its data connection, else C{None}.
        """
        if self.transfer is not None:
            return ABORTING if self.transfer.aborted else RUNNING
        channel = self._dataChannel
        if self.opening is not None or (channel is not None
                                        and channel.isConnecting):
            return WAITING
        return None

    def whileOpening(self, operation, release=closeOpened):
        """
        Wait for what a transfer command opens before its data connection
        (L{Opening}): C{ABOR} meanwhile ends the command at once. An open
        that gave its answer at once (a file in the kernel's cache) has
        nothing for C{ABOR} to cut and is awaited as it is.

        @param operation: a Deferred or coroutine, the open.
        @param release: called with what the open gives if it comes after
            an C{ABOR}.
        @return: an awaitable of what the open gives, which raises
            L{TransferAborted} when C{ABOR} came first.
        """
        if (isinstance(operation, defer.Deferred) and operation.called
                and not operation.paused):
            return operation
        return self._waitOpening(Opening(operation, release))

    async def _waitOpening(self, opening):
        """
        L{whileOpening} for an open still under way, or an upload's commit.

        @param opening: the L{Opening} (or L{Committing}).
        """
        self.opening = opening
        try:
            return await opening.result
        finally:
            self.opening = None
            if not opening.settled.called:
                self._keepUnsettled(opening)

    def _keepUnsettled(self, opening):
        """
        Count an open cut short among L{unsettled} until its shell answers.

        @param opening: the L{Opening}.
        """
        if self.unsettled is None:
            self.unsettled = set()
        unsettled = self.unsettled
        unsettled.add(opening)

        def answered(result):
            unsettled.discard(opening)
            return result
        opening.settled.addBoth(answered)

    def whenSettled(self):
        """
        @return: a Deferred firing once the shell has answered every open
            and commit that was cut short (L{unsettled}) and what they gave
            is released: a drain that ended the process before let an
            upload's commit still under way after its C{ABOR}'s C{426}
            neither store the file nor keep it for a resume, its
            temporary file left behind.
        """
        return defer.DeferredList(
            [opening.settled for opening in self.unsettled or ()])

    def abortOnArrival(self):
        """
        C{ABOR} arrived while a transfer is underway (L{transferState}):
        end the transfer now (its command replies C{426}, or C{226} if
        every byte had gone: L{Transfer.abortOnArrival}), or the wait for
        what it opens (C{426}) or for an upload's commit, after a grace
        (L{Committing}), or drop the data connection it waits for
        (C{425}); the C{ABOR}, queued, replies C{226} in its turn, after
        the commands the client sent before it (L{ftp_ABOR}). A command
        whose transfer the C{ABOR} came before is no transfer
        (L{reportAbortArrived}).
        """
        if self.opening is not None:
            self.reportAbortArrived(self.opening.beforeData)
            self.opening.abortOnArrival()
            self.dataChannel.close()
        elif self.transfer is None:
            self.reportAbortArrived(False)
            self.dataChannel.close()
        elif not self.transfer.aborted:
            self.transfer.abortOnArrival()

    def dataRefused(self, channel):
        """
        Whether a transfer's data connection cannot come (C{APPE} asks
        before its open, which makes a new name's file).

        @param channel: the session's L{dataChannel}.
        @return: whether clear data is refused (L{clearDataRefusal}).
        @raise TransferAborted: an C{ABOR} came while it waited its turn.
        @raise CannotOpenDataConnection: no data connection was set up.
        """
        if self.refuseClearData():
            channel.close()
            return True
        if self.abortedBeforeTurn:
            self.reportTransferRefused()
            channel.close()
            raise TransferAborted("Transfer aborted")
        if not channel.isSetUp:
            self.reportTransferRefused()
            raise self.noDataConnection()
        return False

    async def _openData(self, description, mover, opening, listing=False):
        """
        Get the data connection (a bare socket if the mover can use one),
        make it the running L{Transfer} and send the C{150}: under TLS
        as soon as a connection arrives, before its handshake
        (L{ftpkit.data.channel.DataChannel.connecting}, C{handshaking}).

        @param mover: the transfer's L{ftpkit.data.movers.Mover}.
        @param opening: the text of the C{150} reply.
        @param listing: the transfer is a listing (see
            L{ftpkit.control.handlers.securefxp}).
        @return: the connection, or C{None} if clear data is refused.
        """
        # The property read once: it makes the channel only when none is.
        channel = self.dataChannel
        if self.dataRefused(channel):
            return None
        announced = []

        def announce():
            if not announced:
                announced.append(True)
                self.reply(150, opening)

        connection = channel.connecting(
            self.transferTLS(listing), mover.bareSocket, announce,
            mover.incoming, mover.takesBeforeHandshake)
        if isDeferred(connection):
            connection = await connection
        self.transfer = Transfer(description, connection, mover)
        self.reportTransferStarted(self.transfer)
        if not announced:
            # announce(), without the call: the channel let go of it when
            # it gave the connection.
            self.reply(150, opening)
        return connection

    def _transferEnded(self):
        """
        The transfer is over: the session's idle time starts again.
        """
        self.transfer = None
        if not self._closed:
            self.resetTimeout()

    async def sendFile(self, readFile, binary, description, opening,
                       listing=False):
        """
        Send a file a shell opened (an L{IReadFile}, or an
        L{IRandomReadFile} adapted to one) over a data connection: 150,
        bytes, 226. A file that shrank meanwhile (truncated, or rewritten
        in place by C{REST} + C{STOR}) ends the download early: 451, not
        226, lest the client take it for the whole file (L{shortDownload}).

        @param readFile: what the shell opened.
        @param binary: TYPE I (else TYPE A, translated).
        @param description: the transfer, as C{STAT} and the logs show it.
        @param opening: the text of the C{150} reply.
        @param listing: C{readFile} is a listing (see L{_openData}).
        @return: the final reply, or C{None} if refused.
        """
        readFile = readFileFor(readFile)
        pacer = self._pacer(False)
        # The factory's reactor, as receiveFile reads it: the reactor
        # property is a Python call more per download.
        mover = Download(readFile, binary, self.factory.reactor, pacer,
                         self.session.deflate, listing)
        try:
            connection = await self._openData(description, mover, opening,
                                              listing)
            if connection is None:
                return self.clearDataRefusal()
            try:
                sending = mover.startNow(connection)
                if sending is not MOVED and not isDeferred(sending):
                    raise TypeError("%r.send gave %r, not a Deferred"
                                    % (readFile, sending))
                sent = (mover.bytesMoved if sending is MOVED
                        else await firstOf(sending, connection))
                self.transfer.finishing = True
                ending = pacer and pacer.ended(self.factory.reactor)
                if ending is not None:  # its connection's end paced too
                    await firstOf(ending, connection)
                await connection.finish()
            except Exception as e:
                mover.abort()
                transfer = self.transfer
                if transfer is not None and transfer.aborted:
                    # ABOR is closing the connection in order already.
                    if not transfer.completed:
                        raise TransferAborted("Transfer aborted")
                elif not await endedWhole(transfer, connection):
                    connection.abort()
                    # A peer gone is no storage's fault: not logged.
                    if not isinstance(e, (FTPError, ConnectionClosed,
                                          ConnectionError)):
                        _log.error("Sending {transfer!r} failed: {why}",
                                   transfer=description,
                                   why=describeFailure(e))
                    raise _aborted(connection)
                # Complete, though the send was not over.
                sent = mover.fileBytesMoved
        finally:
            release(readFile)
            if self.transfer is not None:
                self._transferEnded()
        short = shortDownload(binary, readFile.size, sent)
        return short if short is not None else (226, "Transfer complete")

    async def receiveFile(self, writeFile, description, opening, target,
                          whole=False):
        """
        Receive an upload into a file a shell opened (an L{IWriteFile}, or
        an L{IRandomWriteFile} adapted to one): 150, bytes, 226. C{ABOR}
        ends the wait for the storage to store it if it is not over within
        a grace (L{Committing}: 426, L{storedLate}); within it, the upload
        replies as the commit ends.

        @param writeFile: what the shell opened.
        @param description: the transfer, as C{STAT} and the logs show it.
        @param opening: the text of the C{150} reply.
        @param target: the file's path (L{Transfer.target}).
        @param whole: it writes a whole file
            (L{ftpkit.control.failedupload.endFailedFile}).
        @return: the final reply.
        """
        writeFile = writeFileFor(writeFile)
        session = self.session
        pacer = self._pacer(True)
        mover = Upload(writeFile, session.binary, self.factory.reactor,
                       pacer, self.factory.config.maxUploadSize, self,
                       session.deflate)
        try:
            connection = await self._openData(description, mover, opening)
            if connection is None:
                await writeFile.abort()
                return self.clearDataRefusal()
            self.transfer.target = target
            try:
                receiving = mover.startNow(connection)
                if receiving is not MOVED and settled(receiving) is UNSETTLED:
                    await receiving
            except BaseException as e:
                mover.abort()
                endFailedConnection(connection, e)
                if getattr(connection, "tlsRefused", False):
                    raise _aborted(connection) from e
                raise
            if connection.bare:
                connection.closeReceived()
        except BaseException as e:
            await waitAtMost(
                defer.ensureDeferred(
                    endFailedFile(writeFile, e, whole)),
                self.factory.reactor, self.factory.config.dataTimeout,
                lambda: _log.warn(
                    "storage did not end its aborted upload {transfer!r} "
                    "within {timeout}s; replying without waiting more",
                    transfer=description,
                    timeout=self.factory.config.dataTimeout))
            raise
        finally:
            if self.transfer is not None:
                self._transferEnded()
        closing = writeFile.close()
        if settled(closing) is UNSETTLED:
            committing = Committing(
                closing, storedLate(description,
                                    lambda: committing.cutByAbor),
                self.factory.reactor)
            await self._waitOpening(committing)
        ending = storedEnded(pacer, self.factory.reactor)
        if ending is not None:  # its 226 paced too, its file stored
            await ending
        return (226, "Transfer complete")
