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
                          lambda: transportClose(self))

    BoundedSFTPFileSystem.__name__ = cls.__name__
    BoundedSFTPFileSystem.__qualname__ = cls.__qualname__
    return BoundedSFTPFileSystem


def transportClose(fs):
    """
    What closes the SSH connection an SFTP filesystem is opening or has
    opened now: paramiko's C{Transport.close}, which closes it without
    waiting for any answer of the server (a thread waiting on it raises),
    and may join the transport's thread (never to be called in the
    reactor thread). Found at once, without blocking: called later, it
    closes that connection, not one opened since.

    @param fs: fsspec's C{SFTPFileSystem}.
    @return: that transport's C{close}, or C{None} when there is none
        yet.
    """
    client = getattr(fs, "client", None)
    transport = client.get_transport() if client is not None else None
    return None if transport is None else transport.close
