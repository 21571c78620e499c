"""
fsspec's SFTP filesystem whose every connection, the first (made as the
filesystem is) and each one opened again after a call expired or the
server dropped one (fsspec's C{_connect}), is opened within the realm's
deadline (L{ftpkit.shells.calldeadline.connectWithin}): paramiko bounds
the steps up to the SSH login with its timeouts, but waits for ever for
the SFTP session (the subsystem's start and its version exchange), so a
server that logs in and then never answers held the command, and a
thread of the pool, for ever.
"""

from ftpkit.shells.calldeadline import connectWithin


def boundedSFTP(cls, seconds):
    """
    @param cls: fsspec's C{SFTPFileSystem} (or a subclass of it).
    @param seconds: the deadline of opening a connection.
    @return: a subclass of C{cls} whose connections are opened within
        C{seconds}, or fail with L{ftpkit.errors.StorageTimedOut}.
    """
    connect = getattr(cls, "_connect", None)
    if not callable(connect):
        return cls

    class BoundedSFTPFileSystem(cls):
        """
        C{cls}, its connections opened within C{seconds}.
        """

        def _connect(self):
            """
            Open the connection, within the deadline.
            """
            connectWithin(seconds, lambda: connect(self),
                          lambda: closeTransport(self))

    BoundedSFTPFileSystem.__name__ = cls.__name__
    BoundedSFTPFileSystem.__qualname__ = cls.__qualname__
    return BoundedSFTPFileSystem


def closeTransport(fs):
    """
    Close the SSH connection an SFTP filesystem is opening or has opened,
    without waiting for any answer of the server (paramiko's
    C{Transport.close}, which may join the transport's thread: never
    called in the reactor thread): a thread waiting on it raises. Nothing
    when there is none yet.

    @param fs: fsspec's C{SFTPFileSystem}.
    """
    client = getattr(fs, "client", None)
    transport = client.get_transport() if client is not None else None
    if transport is not None:
        transport.close()
