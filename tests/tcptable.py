"""
What the kernel of this machine says of a TCP connection
(C{/proc/net/tcp} and C{tcp6}): its state and the bytes queued each way.
Tests that stop a server (C{SIGSTOP}) wait on it until what their
client sent has reached the server's kernel, instead of sleeping; those
of an in-process server read its end's buffers (L{bufferOfOtherEnd}).
"""

import os
import socket
import struct

from tests.polling import waitUntil

CLOSE_WAIT = "08"
"""The state of a socket whose peer closed its end (its FIN arrived)."""


def hexAddress(address, port):
    """
    @param address: an IPv4 or IPv6 address, as text.
    @param port: a port.
    @return: C{address:port} as C{/proc/net/tcp} writes it.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    packed = socket.inet_pton(family, address)
    words = [struct.unpack("=I", packed[i:i + 4])[0]
             for i in range(0, len(packed), 4)]
    return "".join("%08X" % (word,) for word in words) + ":%04X" % (port,)


def tcpSocket(local, remote):
    """
    @param local: the socket's own end, C{(address, port)} as
        C{getsockname} gives it.
    @param remote: its other end, likewise.
    @return: C{(state, toSend, received)}: its TCP state (two hexadecimal
        digits, as L{CLOSE_WAIT}), the bytes it holds not yet
        acknowledged by the other end's kernel, and those its own
        process has not read; or C{None} when there is no such socket.
    """
    ends = (hexAddress(*local[:2]), hexAddress(*remote[:2]))
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if (fields[1], fields[2]) == ends:
                    toSend, received = fields[4].split(":")
                    return fields[3], int(toSend, 16), int(received, 16)
    return None


def delivered(sock):
    """
    @param sock: a connected socket of this process.
    @return: whether every byte written to it reached the other end's
        kernel (none waits to be sent or acknowledged).
    """
    found = tcpSocket(sock.getsockname(), sock.getpeername())
    return found is not None and found[1] == 0


def readByPeer(sock):
    """
    @param sock: a connected socket of this process.
    @return: whether the other end's process read every byte written to
        it (none waits in either kernel).
    """
    return readByOtherEnd(sock.getsockname(), sock.getpeername())


def readByOtherEnd(local, remote):
    """
    L{readByPeer} of a socket of any process on this machine.

    @param local: the socket's own end, C{(address, port)}.
    @param remote: its other end, likewise.
    @return: whether the other end's process read every byte written to
        the socket (none waits in either kernel).
    """
    sent = tcpSocket(local, remote)
    found = tcpSocket(remote, local)
    return (sent is not None and sent[1] == 0
            and found is not None and found[2] == 0)


def peerClosedBy(sock):
    """
    @param sock: a connected socket of this process (the test's client
        end), before the test closes it.
    @return: a function taking no argument that says whether the other
        end (the server's) has seen this end closed (L{CLOSE_WAIT}).
    """
    server = (sock.getpeername(), sock.getsockname())

    def closed():
        found = tcpSocket(*server)
        return found is not None and found[0] == CLOSE_WAIT
    return closed


def bufferOfOtherEnd(sock, option):
    """
    Read a socket option of the other end of a connection whose both ends
    are in this process (an in-process server's data connection), found
    among this process's descriptors.

    @param sock: a connected socket of this process (the test's client
        end).
    @param option: a C{SOL_SOCKET} option, as C{socket.SO_SNDBUF}.
    @return: the option's value on the other end, or C{None} when no
        descriptor of this process holds it.
    """
    wanted = (sock.getpeername(), sock.getsockname())
    for name in os.listdir("/proc/self/fd"):
        try:
            copy = os.dup(int(name))
        except OSError:
            # Closed meanwhile.
            continue
        try:
            other = socket.socket(fileno=copy)
        except OSError:
            # Not a socket.
            os.close(copy)
            continue
        with other:
            try:
                ends = (other.getsockname(), other.getpeername())
            except OSError:
                continue
            if ends == wanted:
                return other.getsockopt(socket.SOL_SOCKET, option)
    return None


def queuedUntilStalled(sock, looks=50):
    """
    Watch what the other end of C{sock} (a server's data connection) holds
    unacknowledged toward it while the test reads nothing, until that
    stays the same for C{looks} looks in a row (its sender blocked on
    its full buffer; a paced sender's round is far shorter than that).

    @param sock: a connected socket of this process (the test's client
        end).
    @param looks: looks in a row that must find the same nonzero count.
    @return: the most found queued, or C{None} if it never stalled.
    """
    ends = (sock.getpeername(), sock.getsockname())
    queued = []

    def stalled():
        found = tcpSocket(*ends)
        queued.append(found[1] if found is not None else 0)
        last = queued[-looks:]
        return len(last) == looks and last[0] > 0 and len(set(last)) == 1
    return max(queued) if waitUntil(stalled) else None
