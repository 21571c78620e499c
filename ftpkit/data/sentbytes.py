"""
What a download's "bytes sent" means when its bytes go through a Twisted
transport (in clear, or under TLS), the one count every reporter reads
(L{ftpkit.data.movers.Download.bytesMoved}: the transfer's log line, its
xferlog line, its event, the metrics, C{/sessions}, C{STAT}):

    - the bytes the kernel took: those handed to the transport, less
      those it still holds (or, once the connection ended, dropped);
    - under TLS, counted in the file's bytes (the records the transport
      holds are taken for as many of them: a record's few bytes of
      framing make the count a little low while a connection is cut
      short, never high), and none until the handshake is complete and
      accepted: a client that never sends its ClientHello received
      nothing, however much the file's producer wrote into the TLS
      layer's buffer.

C{sendfile} counts what the kernel took already (its return value).
C{MODE Z} counts the data before compression, so only the handshake rule
applies to it (L{ftpkit.data.movers.Download.bytesMoved}). The
kernel's taking a byte is not the client's reading it: a connection cut
short may have had up to a socket buffer in flight.
"""

from ftpkit.compat import queuedBytes


def kernelTook(written, secured, held):
    """
    @param written: the bytes a download handed to the transport.
    @param secured: C{False} under TLS before the handshake was completed
        and accepted, else C{True} (in clear, always).
    @param held: the bytes the transport holds unwritten to its socket
        (under TLS, of data records), or C{None} when that cannot be told.
    @return: the bytes sent, as the module says.
    """
    if not secured:
        return 0
    if held is None:
        return written
    return max(0, written - held)


def bytesSent(connection, written):
    """
    @param connection: a L{ftpkit.data.connection.DataConnection}, open
        or ended.
    @param written: the bytes a download handed to its transport.
    @return: the bytes sent over it (L{kernelTook}).
    """
    held = queuedBytes(connection.socketTransport)
    if not connection.isSecure:
        return kernelTook(written, True, held)
    if held is not None:
        # The server's close_notify, and what followed it, are no data.
        held = max(0, held - connection.transport.closingSent)
    return kernelTook(written, connection.secured, held)
