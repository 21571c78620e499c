"""
Reading a blocking socket (plain or TLS) to its end, for the tests that
download over a data connection they open themselves or watch a server
close a connection: L{readToEnd}, the one loop they share.

It reports what the test should hear about: a read that waited past the
socket's timeout raises (the server neither sent nor closed: a test
taking what came so far as the whole would pass or fail for the wrong
reason, and only on a loaded machine); a reset is raised too, unless the
test says a reset ends the connection as well as a close does.
"""

RESETS = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
"""What a peer aborting the connection raises from C{recv}."""


def readToEnd(sock, limit=None, resetEnds=False):
    """
    Read from a blocking socket until its peer closes it.

    @param sock: a connected socket (or C{ssl.SSLSocket}), with the
        timeout each read may wait.
    @param limit: stop once at least this many bytes came (C{None}: read
        to the end).
    @param resetEnds: a reset of the connection (L{RESETS}) ends the
        read as a close does (a server aborting the transfer), instead of
        being raised.
    @return: the bytes read.
    @raise TimeoutError: when a read waits past the socket's timeout.
    """
    chunks, total = [], 0
    while limit is None or total < limit:
        try:
            chunk = sock.recv(65536)
        except RESETS:
            if not resetEnds:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)
