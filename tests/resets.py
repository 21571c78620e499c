"""
Closing a socket with a reset (C{SO_LINGER} 0), as a client that vanished
does: the tests of cut transfers and lost clients use it.
"""

import socket
import struct


def hardClose(sock):
    """
    Close a socket with a reset, like a client that vanished.
    """
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()
