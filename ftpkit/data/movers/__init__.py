"""
Movers: the one place that decides how a transfer's bytes move between a
data connection and an open file, from the connection (a bare socket or a
Twisted transport, TLS or not), the file (whether it provides
L{ftpkit.interfaces.IDescriptorFile}) and the TYPE:

    - a TYPE I download of a descriptor-backed file over a plain socket:
      C{sendfile} (L{ftpkit.data.movers._sendfile});
    - a TYPE I upload into a descriptor-backed file over a bare passive
      socket: C{splice} (L{ftpkit.data.movers._splice});
    - anything else passes through Python: the file's producer writes to
      the transport (L{IReadFile.send}), or the transport writes to the
      file's consumer (L{IWriteFile.receive}), through the ASCII
      translation for TYPE A (L{ftpkit.data.movers.consumers});
    - in C{MODE Z} every transfer passes through Python, a download's
      bytes compressed after their TYPE A translation, an upload's
      inflated before it (L{ftpkit.data.movers._deflate}).

A transfer's byte count (for a download, what the kernel took:
L{ftpkit.data.sentbytes}), its pacing (L{ftpkit.data.movers.pacing}) and its
size limit attach here, whichever way the bytes go; the data connection's
stall watchdog reads the byte count (L{Mover.bytesMoved}). In C{MODE Z}
the byte count and the size limit are of the data (the bytes C{MODE S}
would have moved), the pacing of the bytes on the wire for an upload and
of the data for a download (compressed, it sends fewer).
"""

from twisted.internet.defer import succeed

from ftpkit.data.movers import _deflate, _sendfile, _splice
from ftpkit.data.movers.consumers import (
    ASCIIConsumer,
    ASCIIUploadConsumer,
    TransportConsumer,
)
from ftpkit.data.movers.pacing import (
    PacedPipe,
    boundSocketBuffer,
    writeBufferSize,
)
from ftpkit.data.producers import ConsumerFilter
from ftpkit.data.sentbytes import bytesSent, kernelTook
from ftpkit.errors import TransferAborted, UploadTooLarge
from ftpkit.interfaces import IDescriptorFile, IRefusingWriteFile

TLS_BUFFER_SIZE = 1 << 20
"""Encrypted bytes a TLS download through Python (any TYPE, C{MODE S} or
C{Z}) may queue before its producer pauses: fewer pause/resume rounds
than Twisted's 64 KiB default."""

CORKED_SIZE = 256 << 10
"""
Largest download whose bare socket holds partial segments back until the
end (it comes corked, L{ftpkit.data.cork}), so that a small file's bytes
leave with their end. A larger one streams uncorked
(L{ftpkit.data.leanconnection.LeanConnection.streamUncorked}):
a bulk C{sendfile} into a corked socket cost more CPU per byte and moved
fewer bytes a second (docs/benchmark-history.rst, "Corked bulk downloads").
"""

MOVED = object()
"""What L{Upload.startNow} gives for an upload over at once, and
L{Download.startNow} for a download sent whole at once."""


def _refusalOf(writeFile):
    """
    @return: the error for which C{writeFile} refused the upload's bytes
        (L{IRefusingWriteFile}), or C{None}.
    """
    if IRefusingWriteFile.providedBy(writeFile):
        return writeFile.refusal()
    return None


def _descriptorOf(openFile, binary, possible):
    """
    @return: the file's L{ftpkit.fileinfo.FileDescriptor} when the bytes
        may move inside the kernel (TYPE I, the system call exists, the
        file offers one), else C{None}.
    """
    if binary and possible and IDescriptorFile.providedBy(openFile):
        return openFile.descriptor()
    return None


class Mover:
    """
    One transfer's bytes on their way: how they go is decided when it is
    made (what kind of data connection to ask for: L{bareSocket}) and when
    it starts (what connection it got). What a running transfer
    (L{ftpkit.control.handlers.transferring.Transfer}) asks of every
    mover: C{bytesMoved}, L{sentWhole} and C{abort}.

    @ivar bareSocket: the transfer can use a bare passive socket
        (L{ftpkit.data.leanconnection.LeanConnection}), cheaper to set up than a Twisted
        transport.
    @cvar incoming: the bytes come from the client (an upload).
    @ivar takesBeforeHandshake: the transfer may take an active data
        connection under TLS before its handshake
        (L{ftpkit.data.channel.DataChannel.connecting}), decided by
        L{Download.__init__}: a download that reads no file's bytes ahead,
        whose client may never start that connection's TLS.
    """

    incoming = False
    takesBeforeHandshake = False

    _pipe = None

    def __init__(self, openFile, binary, reactor, pacer=None, deflate=None):
        """
        @param openFile: the L{IReadFile} or L{IWriteFile}.
        @param binary: whether TYPE I is in force (else TYPE A).
        @param reactor: the reactor.
        @param pacer: a L{ftpkit.data.movers.pacing.Pacer}, or C{None}.
        @param deflate: the zlib level of a C{MODE Z} transfer, or C{None}
            in C{MODE S}.
        """
        self._file = openFile
        self._binary = binary
        self._reactor = reactor
        self._pacer = pacer
        self._deflate = deflate

    def sentWhole(self):
        """
        @return: whether every byte of the file was handed to the data
            connection, though the file may not have said that its send
            is over (L{Download.sentWhole}); never for an upload, which
            sends nothing.
        """
        return False

    def _boundBuffer(self, connection):
        """
        A paced transfer's data connection gets a kernel buffer of about a
        second of its rate (L{boundSocketBuffer}) before its first byte
        moves; an unpaced one is not asked (no system call).

        @param connection: as for L{Download.start} or L{Upload.start}.
        """
        if connection.bare:
            sock = connection.socket
        else:
            sock = connection.socketTransport.getHandle()
        boundSocketBuffer(sock, self._pacer, self.incoming)


class Download(Mover):
    """
    A download: an L{IReadFile} to a data connection.
    """

    _sent = 0

    def __init__(self, readFile, binary, reactor, pacer=None, deflate=None,
                 listing=False):
        """
        A listing, or an empty file in C{MODE S}, takes an active data
        connection under TLS before its handshake
        (L{Mover.takesBeforeHandshake}): curl 7.87-7.88 never start the
        TLS of such a connection, and an empty one then ends without it
        (L{ftpkit.data.connection.DataConnection.finish}); a listing reads
        no file ahead into the TLS layer. A file's size is read with
        C{getattr}: an outside plugin's L{IReadFile} may have none.

        @see: L{Mover.__init__}
        @param listing: C{readFile} is a directory listing.
        """
        Mover.__init__(self, readFile, binary, reactor, pacer, deflate)
        self._descriptor = _descriptorOf(readFile, binary,
                                         _sendfile.available
                                         and deflate is None)
        self.bareSocket = self._descriptor is not None
        self.takesBeforeHandshake = listing or (
            deflate is None and getattr(readFile, "size", None) == 0)

    _writer = None
    _consumer = None
    _connection = None

    @property
    def _handed(self):
        """
        @return: the bytes handed to the data connection so far.
        """
        writer = self._writer
        if writer is not None:
            return self._sent + writer.sent
        if self._consumer is not None:
            return self._consumer.bytesSent
        return self._sent

    @property
    def fileBytesMoved(self):
        """
        @return: the file's bytes handed to the data connection so far
            (not all of them sent yet: L{bytesMoved}): in C{TYPE A} those
            read and converted (the conversion made more of them, one for
            every LF), in C{TYPE I} the bytes handed over.
        """
        if self._binary:
            return self._handed
        return getattr(self._consumer, "fileBytes", 0)

    @property
    def bytesMoved(self):
        """
        @return: the bytes sent so far: those the kernel took
            (L{ftpkit.data.sentbytes}; C{sendfile} counts so itself); in
            C{MODE Z}, whose count is of the data before compression,
            those handed to the transport, but under TLS none before the
            handshake.
        """
        consumer = self._consumer
        if consumer is None or self._writer is not None:
            return self._handed
        if self._deflate is not None:
            return kernelTook(consumer.bytesSent, self._connection.secured,
                              None)
        return bytesSent(self._connection, consumer.bytesSent)

    def sentWhole(self):
        """
        See L{Mover.sentWhole}.

        @return: whether every byte of the file, as its size said when it
            was opened, was handed to the connection (in C{TYPE A}, every
            byte of it converted: the file's bytes that went into the
            conversion, not the more it made of them, are compared with
            the file's size), and in C{MODE Z} the end of its stream too;
            the send itself may not have said it is over yet (a storage
            that reads on).
        """
        size = getattr(self._file, "size", None)
        if type(size) is not int:
            return False
        consumer = self._consumer
        if self._deflate is not None and not getattr(
                consumer, "finished", False):
            # MODE Z: the compressor still holds the stream's end.
            return False
        return self.fileBytesMoved >= size

    def start(self, connection):
        """
        Send the whole file over C{connection}.

        @param connection: a L{ftpkit.data.connection.DataConnection} or, when
            L{bareSocket}, maybe a L{ftpkit.data.leanconnection.LeanConnection}.
        @return: a Deferred firing with the bytes sent.
        """
        sending = self.startNow(connection)
        if sending is MOVED:
            return succeed(self._sent)
        return sending

    def startNow(self, connection):
        """
        L{start}, without a L{Deferred} for a file sent whole at once
        with C{sendfile} (a small one, the usual case).

        @param connection: as for L{start}.
        @return: L{MOVED} when every byte is sent (L{bytesMoved} says how
            many), else what L{start} returns.
        """
        if self._pacer is not None:
            self._boundBuffer(connection)
        descriptor = self._descriptor
        if connection.bare:
            if self._pacer is not None or descriptor.size > CORKED_SIZE:
                # Unpaced, the writer sends a small file as fast as the
                # socket takes it and the connection ends right after the
                # last byte: no partial segment needs to leave before
                # then, and the connection came corked for that.
                connection.streamUncorked()
            writer = _sendfile.SendfileWriter(
                self._reactor, connection.socket.fileno(), None, descriptor,
                self._pacer)
            connection.user = writer
            return self._sendfile(writer, connection)
        connection.discardReceived()
        transport = connection.transport
        if (descriptor is not None and not connection.isSecure
                and hasattr(transport, "stopReading")):
            writer = _sendfile.SendfileWriter(
                self._reactor, transport.getHandle().fileno(), transport,
                descriptor, self._pacer)
            return self._sendfile(writer, None)
        if self._deflate is not None:
            consumer = _deflate.DeflatingConsumer(
                TransportConsumer(transport), self._deflate, self._reactor,
                not self._binary)
        elif not self._binary:
            consumer = ASCIIConsumer(transport)
        else:
            consumer = TransportConsumer(transport)
        if connection.isSecure:
            connection.socketTransport.bufferSize = writeBufferSize(
                self._pacer, TLS_BUFFER_SIZE)
        self._consumer = consumer
        self._connection = connection
        if self._pacer is not None:
            pipe = self._pipe = PacedPipe(consumer, self._pacer,
                                          self._reactor)
            sending = self._file.send(pipe)
            sending.addCallback(
                lambda sent: pipe.whenDrained().addCallback(lambda _: sent))
        else:
            sending = self._file.send(consumer)
        if self._deflate is not None:
            sending.addCallback(consumer.finish)
        return sending

    def _sendfile(self, writer, bare):
        """
        Run a L{_sendfile.SendfileWriter}; a bare connection's watchdog
        starts only if the socket is full.
        """
        self._writer = writer
        if writer.start() and bare is not None:
            bare.watch()
        if writer.endedAtOnce() is not None:
            self._over(None, bare)
            return MOVED
        done = writer.done
        if done.called:
            self._over(None, bare)
        else:
            done.addBoth(self._over, bare)
        return done

    def _over(self, result, bare):
        """
        Let go of the finished writer (it and a bare connection hold each
        other), so that everything is freed without the garbage collector.
        """
        writer, self._writer = self._writer, None
        if writer is not None:
            self._sent += writer.sent
        if bare is not None and bare.user is writer:
            bare.user = None
        return result

    def abort(self):
        """
        Stop sending at once (the connection is about to be dropped).
        """
        if self._pacer is not None:
            self._pacer.stopWaiting()
        writer = self._writer
        if writer is not None:
            writer.stop()
        if self._pipe is not None:
            self._pipe.cancel()
        if self._deflate is not None and self._consumer is not None:
            # What the compressor still holds is dropped, not compressed
            # in the turns after.
            self._consumer.abort()


class _SizeLimit(ConsumerFilter):
    """
    Passes an upload's bytes to the file's consumer until there are more
    than C{limit}; then drains the connection (its C{drainRefused}, which
    ends the upload: L{ftpkit.data.uploaddrain}).

    @ivar exceeded: the upload brought too many bytes.
    @ivar upstream: what hands this its bytes, told to C{abort} as the
        limit drops the connection (an L{_deflate.InflatingConsumer},
        whose input could inflate far past the limit), or C{None}.
    """

    exceeded = False
    upstream = None

    def __init__(self, consumer, limit, connection):
        ConsumerFilter.__init__(self, consumer)
        self._left = limit
        self._connection = connection

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        if self.exceeded:
            return
        self._left -= len(data)
        if self._left < 0:
            self.exceeded = True
            self._connection.drainRefused()
            if self.upstream is not None:
                self.upstream.abort()
            return
        self._consumer.write(data)


class Upload(Mover):
    """
    An upload: a data connection to an L{IWriteFile}. Once L{start}'s
    Deferred has fired, L{IWriteFile.close} commits the file (or, after a
    spliced upload, which committed it already, reports that).

    A data connection that ends in order ends the upload, unless the
    session's control connection holds input then
    (L{ftpkit.control.pendinginput}): the upload waits for the session to
    run it, and an C{ABOR} there (L{abort}) fails it.
    """

    incoming = True

    _receiver = None
    _limited = None
    _connection = None
    _aborted = False
    _inflater = None

    def __init__(self, writeFile, binary, reactor, pacer=None, limit=None,
                 control=None, deflate=None):
        """
        @param limit: the most bytes the upload may bring, or C{None}; over
            it, L{start}'s Deferred fails with L{UploadTooLarge}.
        @param control: the session
            (L{ftpkit.control.pendinginput.PendingInput}), or C{None} to
            end the upload with its data connection whatever the session
            holds.
        @param deflate: C{MODE Z} is in force (any level: the stream says
            how it was compressed), or C{None}.
        """
        Mover.__init__(self, writeFile, binary, reactor, pacer, deflate)
        self._control = control
        self._limit = limit
        self._descriptor = _descriptorOf(writeFile, binary,
                                         _splice.available
                                         and deflate is None)
        self.bareSocket = self._descriptor is not None

    @property
    def bytesMoved(self):
        """
        @return: the bytes received so far (in C{MODE Z}, inflated).
        """
        if self._inflater is not None:
            return self._inflater.bytesInflated
        connection = self._connection
        return connection.bytesReceived if connection is not None else 0

    def start(self, connection):
        """
        Receive the whole upload from C{connection} into the file.

        @param connection: the data connection (see L{Mover.bareSocket}).
        @return: a Deferred (from a bare connection, L{_splice}) or a
            coroutine (through Python) giving the bytes received.
        @raise FTPError: L{TransferAborted} when the connection broke or
            was aborted, L{UploadTooLarge}, or the file's error (its
            L{IRefusingWriteFile.refusal}, when it cut the connection).
        """
        receiving = self.startNow(connection)
        if receiving is MOVED:
            return succeed(connection.bytesReceived)
        return receiving

    def startNow(self, connection):
        """
        L{start}, without a L{Deferred} for an upload moved and committed
        at once (a small one, the usual case).

        @param connection: as for L{start}.
        @return: L{MOVED} when the upload is over and succeeded
            (L{bytesMoved} says how much it brought), else what L{start}
            returns.
        @raise FTPError: as L{start} raises.
        """
        self._connection = connection
        if self._pacer is not None:
            self._boundBuffer(connection)
        if not connection.bare:
            return self._receive(connection)
        receiver = self._receiver = _splice.SpliceReceiver(
            connection, self._descriptor, self._pacer, self._limit,
            self._control)
        receiver.start()
        if receiver.endedAtOnce() is not None:
            self._receiver = None
            return MOVED
        done = receiver.done
        if done.called:
            # A small upload moved and committed at once (the usual case):
            # no callback to add.
            self._receiver = None
        else:
            done.addBoth(self._received)
        return done

    def _received(self, result):
        """
        The spliced upload is over: its receiver has nothing to stop.
        """
        self._receiver = None
        return result

    async def _receive(self, connection):
        """
        L{start} through Python: the transport writes into the file's
        consumer.
        """
        consumer = await self._file.receive()
        if not self._binary:
            consumer = ASCIIUploadConsumer(consumer)
        if self._limit is not None:
            consumer = self._limited = _SizeLimit(consumer, self._limit,
                                                  connection)
        if self._deflate is not None:
            consumer = self._inflater = _deflate.InflatingConsumer(
                consumer, connection)
            if self._limited is not None:
                self._limited.upstream = consumer
        if self._pacer is not None:
            consumer = self._pipe = PacedPipe(consumer, self._pacer,
                                              self._reactor)
        try:
            await connection.receiveInto(consumer)
            if self._pipe is not None:
                await self._pipe.whenDrained()
            if self._inflater is not None:
                try:
                    await self._inflater.whenEnded()
                except TransferAborted:
                    # The connection ended in order, its stream not: a
                    # cut upload, whose ABOR may be in the session's
                    # input, and wins as in MODE S.
                    await self._inputRead()
                    raise
            await self._inputRead()
            if self._aborted:
                raise TransferAborted()
        except TransferAborted:
            if self._limited is not None and self._limited.exceeded:
                raise UploadTooLarge() from None
            refusal = _refusalOf(self._file)
            if refusal is not None:
                raise refusal from None
            inflater = self._inflater
            if inflater is not None:
                if self._aborted:
                    # ABOR cuts any stream short: not the stream's fault.
                    raise TransferAborted() from None
                if inflater.error is not None:
                    raise inflater.error from None
            raise
        if self._limited is not None and self._limited.exceeded:
            # Under TLS the client's last bytes and its close_notify can
            # come in one read: the connection then ends cleanly although
            # the limit dropped it.
            raise UploadTooLarge()
        refusal = _refusalOf(self._file)
        if refusal is not None:
            raise refusal
        return self.bytesMoved

    async def _inputRead(self):
        """
        Wait for the session to run the input its control connection
        holds, if any (an C{ABOR} there calls L{abort}).
        """
        control = self._control
        if control is not None and control.inputPending():
            await control.whenInputRead()

    def abort(self):
        """
        Stop receiving at once (the connection is about to be dropped).
        """
        self._aborted = True
        if self._inflater is not None:
            self._inflater.abort()
        receiver = self._receiver
        if receiver is not None:
            receiver.stopWaiting()
        if self._pipe is not None:
            # Received, so kept: what waited for the pacer goes to the
            # file before it is aborted (it was dropped, and the partial
            # upload fell short of the bytes the transfer line counted).
            self._pipe.flush()
            self._pipe.cancel()

