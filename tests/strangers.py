"""
A stranger (an address other than the session's client) connecting to a
session's passive port, which the server refuses with a reset: a close
would read as the end of an empty file.
"""

import socket


def strangerReads(host, port, source, timeout=10):
    """
    Connect to C{port} from the address C{source} and read until the
    server ends the connection (blocking).

    @param host: the server's address.
    @param port: the passive port.
    @param source: the stranger's address, e.g. C{"127.0.0.2"}.
    @param timeout: the seconds each step may take.
    @return: the bytes read: C{b""} where the server refused the
        connection (its reset can come before connect returns).
    """
    received = b""
    try:
        with socket.create_connection((host, port), timeout=timeout,
                                      source_address=(source, 0)) as sock:
            while chunk := sock.recv(65536):
                received += chunk
    except ConnectionResetError:
        pass
    return received
