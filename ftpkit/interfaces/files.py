"""
The files a shell opens for a transfer: the simple kind, read and written
at offsets (L{IRandomReadFile}, L{IRandomWriteFile}), and the producer and
consumer kind (L{IReadFile}, L{IWriteFile}) with its optional extras.
"""

from zope.interface import Attribute, Interface


class IReadFile(Interface):
    """
    A file opened for a download, sending itself through a producer: the
    advanced way, for a shell that does its own flow control (or moves
    bytes without Python, with L{IDescriptorFile}). Most shells open an
    L{IRandomReadFile} instead, which the server adapts to this.
    """

    size = Attribute(
        "The number of bytes send() will write (from the open offset), or "
        "None when not known in advance.")

    def send(consumer):
        """
        Write the whole file (from the open offset) to C{consumer}.

        The file registers a producer on the consumer so that a slow
        consumer slows the reads down. (A file backed by a descriptor may
        also provide L{IDescriptorFile}; the server then may not call
        C{send} at all.)

        @param consumer: an L{twisted.internet.interfaces.IConsumer}.
        @return: a Deferred firing with the number of bytes sent (an
            C{int}) once all of them were written to the consumer, after
            the producer was unregistered; anything else, such as the
            last byte Twisted's C{FileSender} fires with, is taken as a
            count not known.
        """

    def close():
        """
        Release the file (idempotent; called after C{send} or on abort).
        """


class IWriteFile(Interface):
    """
    A file opened for an upload, receiving it through a consumer: the
    advanced way, for a shell that does its own flow control (or moves
    bytes without Python, with L{IDescriptorFile}). Most shells open an
    L{IRandomWriteFile} instead, which the server adapts to this.
    """

    def receive():
        """
        @return: a Deferred firing with an L{IConsumer} the data connection
            writes the uploaded bytes to. The consumer honours
            C{registerProducer} by pausing the producer when it is behind.
        """

    def close():
        """
        Commit the upload: every byte is on disk and the file is in place
        (an atomic rename when it replaces a file).

        @return: a Deferred firing with C{None} once committed.
        """

    def abort():
        """
        Discard the upload; an old file, if any, stays as it was.

        A file that wraps another's (a shell wrapper's, one that counts or
        refuses bytes) provides L{IPartialWriteFile} and forwards its
        C{discard} where the wrapped file does: for an upload refused for
        its own sake the server calls C{discard} where it is provided, and
        the wrapped file's C{abort} may keep what it received, for a
        resume (a refused C{STOR} leaving a hidden partial file, a refused
        C{APPE} the bytes appended).
        L{ftpkit.shells.wrappers.WriteFileWrapper} does this.

        @return: a Deferred firing with C{None}.
        """


class IPartialWriteFile(IWriteFile):
    """
    An L{IWriteFile} whose L{IWriteFile.abort} may keep what the upload
    received, hidden, for a client to resume (see L{IFTPShellResume}), and
    which can also be dropped whole.
    """

    def discard():
        """
        Drop the upload and everything it wrote (the server calls it for an
        upload refused for its size, or one that failed on the disk): an
        old file stays as it was, and a file written in place goes back to
        its length before the upload, one resumed from below its end
        keeping its bytes past those the upload wrote (the disk shell
        also keeps a partial upload it continued, at its length before).

        @return: a Deferred firing with C{None}.
        """


class IAccountedWriteFile(Interface):
    """
    An upload (an L{IWriteFile} or an L{IRandomWriteFile}) that tells what
    its C{abort} (or L{IPartialWriteFile.discard}) left in the storage, so
    that a quota counts it without measuring its home again.
    """

    def leftBehind():
        """
        Call once its abort or discard ended.

        @return: how it changed what the storage holds from just before
            the upload was opened (a L{ftpkit.fileinfo.StorageChange}: the
            bytes a cut upload kept, a partial upload it replaced), or
            C{None} when that is not known.
        """


class IPrivateWriteFile(IWriteFile):
    """
    An L{IWriteFile} that can be committed without any permission bits
    for others, having none from the moment it appears under its name
    (C{--hold-anonymous-uploads}): no process can open it for them in
    between, which a mode changed after the commit cannot promise.
    """

    def withholdFromOthers():
        """
        Take the others' permission bits (C{o=}) from the file before it
        is committed. Called before any byte is written.

        @return: C{None}.
        @raise ftpkit.errors.PermissionDenied: when the file has its name
            already (written in place), so that it cannot be withheld
            before it appears.
        """


class IRefusingWriteFile(IWriteFile):
    """
    An L{IWriteFile} whose consumer may refuse the rest of an upload (over
    a quota, the disk full): it then stops its producer, which cuts the
    data connection instead of reading the client to its end, and says
    why here, so that the client gets that reply rather than C{426}.
    """

    def refusal():
        """
        @return: the L{ftpkit.errors.FTPError} for which the upload's bytes
            were refused, or C{None} while they are taken.
        """


class IRandomReadFile(Interface):
    """
    A file opened for a download, read at offsets: the simple alternative
    to L{IReadFile} that L{IFTPShell.openForReading} may fire with.

    The server turns it into a producer (L{ftpkit.shells.adapters}): it
    asks for the next chunks while the data connection keeps up, one or
    two reads ahead, never more, and calls L{close} once the transfer is
    over. A storage whose reads block runs them in threads of its own
    (L{ftpkit.blocking}).
    """

    size = Attribute(
        "The number of bytes from the open offset to the end of the file, "
        "or None when not known in advance.")

    def readAt(offset, length):
        """
        Read up to C{length} bytes.

        @param offset: where to read from, counted from the byte the file
            was opened at: C{readAt(0, n)} reads the first byte of the
            download (byte C{N} of the file after C{REST N}).
        @param length: the most bytes wanted (more than 0).
        @return: a Deferred firing with C{bytes}: C{length} of them, or
            fewer (C{b""} included) only at the end of the file; failing
            with an L{ftpkit.errors.FTPError} when the read fails.
        """

    def close():
        """
        Release the file. Called once, after the last read finished.

        @return: C{None}, or a Deferred firing when released.
        """


class IRandomWriteFile(Interface):
    """
    A file opened for an upload, written at offsets: the simple
    alternative to L{IWriteFile} that L{IFTPShell.openForWriting} may fire
    with.

    The server turns it into a consumer with backpressure
    (L{ftpkit.shells.adapters}): it calls L{writeAt} one call at a time, in
    order, and pauses the upload while a write is outstanding. Then it
    calls L{close} or L{abort}, once.
    """

    def writeAt(offset, data):
        """
        Write bytes.

        @param offset: where to write, counted from the byte the upload
            starts at: C{writeAt(0, data)} writes the upload's first bytes
            (at byte C{N} of the file after C{REST N}, at the old end of
            the file for an append). Writes come in order, each where the
            previous one ended.
        @param data: the C{bytes} to write (never empty).
        @return: a Deferred firing once written (it may stay in a
            temporary place until L{close}); failing with an
            L{ftpkit.errors.FTPError} (L{ftpkit.errors.InsufficientStorage}
            when the disk is full, say) when it cannot be.
        """

    def close():
        """
        Commit the upload: every byte written is stored and the file is in
        place (replacing an old one in one step, for a new upload). The
        server replies C{226} only after this fires.

        @return: a Deferred firing with C{None} once committed; failing
            with an L{ftpkit.errors.FTPError} when the upload cannot be
            committed (nothing is then in place).
        """

    def abort():
        """
        Discard the upload: an old file, if any, stays as it was, and a
        new file is not created.

        @return: a Deferred firing with C{None}.
        """


class IDiscardableWriteFile(Interface):
    """
    An optional capability of an L{IRandomWriteFile} whose L{abort} keeps
    what an upload written in place wrote (an append, a resume): it can
    also be dropped whole, as L{IPartialWriteFile.discard} drops an
    L{IWriteFile}. The server calls it for an upload that failed for its
    own sake (over a quota or a size limit) rather than one that was cut.
    """

    def discard():
        """
        Drop the upload and everything it wrote: an old file stays as it
        was, and a file written in place goes back to its length before
        the upload.

        @return: a Deferred firing with C{None}.
        """


class IDescriptorFile(Interface):
    """
    An optional capability of an L{IReadFile} or L{IWriteFile} backed by an
    operating-system file descriptor: the server may then move the
    transfer's bytes between it and a plain data socket inside the kernel
    (C{sendfile}, C{splice}), instead of calling L{IReadFile.send} or
    L{IWriteFile.receive}. Which way the bytes go is the server's choice
    (L{ftpkit.data.movers}); a file providing this must still work through
    C{send} or C{receive}.
    """

    def descriptor():
        """
        @return: the L{ftpkit.fileinfo.FileDescriptor} to move this
            transfer's bytes through, or C{None} when this open file cannot
            be used that way (an upload opened to append, say). Called at
            most once, before any byte moves.
        """
