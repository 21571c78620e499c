"""
The consumers a transfer's bytes go through when they pass through Python:
to a data connection's transport (plain or ASCII) and ASCII decoding for
uploads (listings: L{ftpkit.data.movers.listings}).
"""

from twisted.internet.interfaces import IConsumer
from zope.interface import implementer


def encodeASCII(data, afterCR=False):
    """
    Turn local line ends (LF) into network ones (CRLF). An LF that
    already follows a CR (a file with CRLF line ends) is sent as it is, as
    pyftpdlib, ProFTPD and vsftpd send it: doubling its CR gave clients an
    extra line end (a blank line) for every line.

    @param data: bytes read from a file.
    @param afterCR: whether the bytes before C{data} ended with a CR.
    @return: the bytes to send in TYPE A.
    """
    if afterCR and data.startswith(b"\n"):
        return b"\n" + encodeASCII(data[1:])
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class ASCIIEncoder:
    """
    L{encodeASCII} across chunk boundaries, for TYPE A downloads (and
    their size).
    """

    def __init__(self):
        self._afterCR = False

    def encode(self, data):
        """
        @param data: the next chunk read from the file.
        @return: the bytes to send.
        """
        if not data:
            return data
        encoded = encodeASCII(data, self._afterCR)
        self._afterCR = data.endswith(b"\r")
        return encoded


class ASCIIDecoder:
    """
    Turns network line ends (CRLF) into local ones (LF) across chunk
    boundaries, for TYPE A uploads.
    """

    def __init__(self):
        self._pendingCR = False

    def decode(self, data):
        """
        @param data: the next chunk received.
        @return: the bytes to write to the file.
        """
        if self._pendingCR:
            data = b"\r" + data
        self._pendingCR = data.endswith(b"\r")
        if self._pendingCR:
            data = data[:-1]
        return data.replace(b"\r\n", b"\n")

    def flush(self):
        """
        @return: a held-back trailing CR, once the upload has ended.
        """
        pending, self._pendingCR = self._pendingCR, False
        return b"\r" if pending else b""


@implementer(IConsumer)
class TransportConsumer:
    """
    Passes a download to the data connection's transport and counts it.

    @ivar bytesSent: bytes handed to the transport so far.
    """

    def __init__(self, transport):
        """
        @param transport: the data connection's transport.
        """
        self.transport = transport
        self.bytesSent = 0

    def registerProducer(self, producer, streaming):
        """
        @see: L{IConsumer.registerProducer}
        """
        self.transport.registerProducer(producer, streaming)

    def unregisterProducer(self):
        """
        @see: L{IConsumer.unregisterProducer}
        """
        self.transport.unregisterProducer()

    def write(self, data):
        """
        @see: L{IConsumer.write}
        """
        self.bytesSent += len(data)
        self.transport.write(data)

    def abort(self):
        """
        Stop sending at once (the transfer was aborted).
        """


class ASCIIConsumer(TransportConsumer):
    """
    A L{TransportConsumer} for TYPE A: LF becomes CRLF.

    @ivar fileBytes: the file's bytes converted and handed to the
        transport so far (L{bytesSent} counts the bytes the conversion
        made of them, more than the file's for every LF): the encoder
        holds nothing back, so each is sent once written.
    """

    fileBytes = 0

    def __init__(self, transport):
        """
        @param transport: the data connection's transport.
        """
        TransportConsumer.__init__(self, transport)
        self._encoder = ASCIIEncoder()

    def write(self, data):
        """
        @see: L{IConsumer.write}
        """
        self.fileBytes += len(data)
        TransportConsumer.write(self, self._encoder.encode(data))


@implementer(IConsumer)
class ASCIIUploadConsumer:
    """
    Wraps an upload's consumer for TYPE A: CRLF becomes LF.
    """

    def __init__(self, consumer):
        """
        @param consumer: the upload's consumer (an L{IConsumer}), which
            gets the decoded bytes.
        """
        self._consumer = consumer
        self._decoder = ASCIIDecoder()

    def registerProducer(self, producer, streaming):
        """
        @see: L{IConsumer.registerProducer}
        """
        self._consumer.registerProducer(producer, streaming)

    def unregisterProducer(self):
        """
        Flush a trailing CR, then unregister.
        """
        tail = self._decoder.flush()
        if tail:
            self._consumer.write(tail)
        self._consumer.unregisterProducer()

    def write(self, data):
        """
        @see: L{IConsumer.write}
        """
        decoded = self._decoder.decode(data)
        if decoded:
            self._consumer.write(decoded)
