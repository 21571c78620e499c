"""
A C{MODE Z} client for the tests: Python's ftplib with zlib on the data
socket (as FileZilla does it: one zlib stream per data connection, each
way). Blocking: call in a thread.
"""

import ssl
import zlib


def _closeData(conn):
    """
    End a data connection as ftplib does (TLS: its close_notify first).
    """
    if isinstance(conn, ssl.SSLSocket):
        conn.unwrap()
    conn.close()


def retrDeflated(ftp, command):
    """
    Run a download or listing command in C{MODE Z} and inflate it.

    @param ftp: a logged-in C{ftplib.FTP}, in C{MODE Z}.
    @param command: e.g. C{"RETR a.bin"} or C{"MLSD"}.
    @return: C{(data, wireBytes, finalReply)}: the inflated bytes, how
        many came over the data connection, the last reply's text.
    @raise zlib.error: the stream does not inflate or does not end.
    """
    inflater = zlib.decompressobj()
    chunks = []
    wire = 0
    conn = ftp.transfercmd(command)
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            wire += len(chunk)
            chunks.append(inflater.decompress(chunk))
        _closeData(conn)
    finally:
        conn.close()
    reply = ftp.voidresp()
    if not inflater.eof:
        raise zlib.error("the stream did not end")
    return b"".join(chunks) + inflater.flush(), wire, reply


def storRaw(ftp, command, wireData, chunk=65536):
    """
    Send C{wireData} as they are over an upload's data connection.

    @param ftp: a logged-in C{ftplib.FTP}.
    @param command: e.g. C{"STOR a.bin"}.
    @param wireData: the bytes to send (a zlib stream, or not).
    @return: the final reply's text.
    @raise ftplib.Error: the final reply is an error.
    """
    conn = ftp.transfercmd(command)
    try:
        view = memoryview(wireData)
        for start in range(0, len(view), chunk):
            conn.sendall(view[start:start + chunk])
        _closeData(conn)
    except OSError:
        # The server dropped the connection (a limit, a corrupt stream):
        # its reply says why.
        pass
    finally:
        conn.close()
    return ftp.voidresp()


def storDeflated(ftp, command, data, level=6):
    """
    Upload C{data} compressed into one zlib stream.

    @param level: the client's compression level.
    @return: the final reply's text.
    """
    return storRaw(ftp, command, zlib.compress(data, level))
