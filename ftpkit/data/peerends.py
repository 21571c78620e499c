"""
What a data socket whose sending side ended tells of its client, without
waiting: whether the client's kernel has acknowledged every byte and the
end of the data (L{acknowledged}), and whether the client has ended its
side (L{peerEnded}). The lingering close of a download
(L{ftpkit.data.linger}) asks both.
"""

import fcntl
import socket
import struct
import termios

_OUTQ = getattr(termios, "TIOCOUTQ", None)
"""The C{ioctl} that tells how many bytes a TCP socket has not had
acknowledged (Linux's C{SIOCOUTQ}), where there is one."""

_READ_SIZE = 65536


def acknowledged(sock):
    """
    @param sock: a TCP socket whose sending side was shut down.
    @return: whether the peer's kernel has acknowledged every byte sent on
        it and then its end (the FIN counts as one more byte of the send
        queue); C{False} when this cannot be told.
    """
    if _OUTQ is None:
        return False
    try:
        queued = fcntl.ioctl(sock.fileno(), _OUTQ, b"\0\0\0\0")
    except (OSError, ValueError):
        return False
    return struct.unpack("i", queued)[0] == 0


def peerEnded(sock):
    """
    Read and drop what a socket holds, without waiting (whether the socket
    blocks or not).

    @param sock: the socket.
    @return: whether the peer has ended its side (or the connection
        failed): there is nothing more to wait for.
    """
    while True:
        try:
            data = sock.recv(_READ_SIZE, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not data:
            return True
