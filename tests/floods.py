"""
L{uploadUntilCut}: an upload that sends more than the server will take, for
the tests of limits that cut uploads (quotas, the memory realm's cap).
"""

import ftplib


def uploadUntilCut(ftp, command, limit, chunkSize=1 << 20, rest=None):
    """
    Send up to C{limit} bytes with C{command} over a logged-in C{ftp}
    (blocking), stopping where the server cuts the data connection.

    @param ftp: an L{ftplib.FTP}, logged in, in C{TYPE I}.
    @param command: C{"STOR name"}, C{"APPE name"}...
    @param limit: the most bytes to send.
    @param chunkSize: bytes per send.
    @param rest: the C{REST} offset to send first, or C{None}.
    @return: C{(bytes sent, final reply)}, the reply being the error's
        text when it is one.
    """
    data = ftp.transfercmd(command, rest)
    chunk = b"x" * chunkSize
    sent = 0
    try:
        while sent < limit:
            data.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    try:
        data.close()
    except OSError:
        pass
    try:
        final = ftp.voidresp()
    except ftplib.Error as e:
        final = str(e)
    return sent, final
