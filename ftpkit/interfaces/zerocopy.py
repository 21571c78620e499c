"""
Deprecated: how a descriptor-backed file once met a data socket. ftpkit
no longer calls or provides these (a descriptor-backed file provides
L{ftpkit.interfaces.files.IDescriptorFile}); they stay importable for code
written against 0.1.
"""

from twisted.internet.interfaces import IConsumer
from zope.interface import Interface

from ftpkit.interfaces.files import IReadFile, IWriteFile


class IZeroCopyReadFile(IReadFile):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    An L{IReadFile} backed by a file descriptor, which can also be copied
    to a bare L{ISendfileTarget} (a data socket with no Twisted transport
    around it, cheaper to set up for small files).
    """

    def sendfileTo(target):
        """
        Copy the whole file (from the open offset) with C{target.sendfile}.

        @param target: an L{ISendfileTarget}.
        @return: a Deferred firing with the number of bytes sent.
        """


class IZeroCopyWriteFile(IWriteFile):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    An L{IWriteFile} backed by a file descriptor, which can also be filled
    straight from a bare L{ISpliceSource} (a data socket with no Twisted
    transport around it), without the bytes passing through Python.
    """

    def receiveFrom(source):
        """
        Receive the whole upload with C{source.spliceInto}; then
        L{IWriteFile.close} or L{IWriteFile.abort} it as usual.

        @param source: an L{ISpliceSource}.
        @return: a Deferred firing with the number of bytes received.
        """


class ISpliceSource(Interface):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    Where an upload's bytes can be moved from into a file descriptor without
    passing through Python (a data socket, with C{splice}).
    """

    def spliceInto(fd, position, run):
        """
        Move everything the peer sends, until it closes its side, into
        descriptor C{fd} from offset C{position}.

        @param fd: a descriptor open for writing.
        @param position: the offset of the first byte.
        @param run: runs a blocking call off the reactor thread (the disk
            writes): C{run(function, *args)} returns a Deferred with its
            result, failing with an L{ftpkit.errors.FTPError}.
        @return: a Deferred firing with the number of bytes moved; failing
            with L{ftpkit.errors.TransferAborted} when the connection broke
            or was aborted, or with the L{ftpkit.errors.FTPError} of a
            failed write.
        """


class ISendfileTarget(Interface):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    Somewhere a file descriptor's bytes can be copied to without passing
    through Python (a data socket, with C{sendfile}).
    """

    def sendfile(fd, offset, count, warm=None):
        """
        Copy C{count} bytes from descriptor C{fd}, starting at C{offset},
        to the peer, without passing them through Python.

        @param fd: a descriptor open for reading.
        @param offset: the first byte to copy.
        @param count: how many bytes to copy.
        @param warm: for a file on disk, C{warm(offset, count)} reads that
            range into memory off the reactor thread and returns a Deferred
            firing when done; it is called before copying a range that is
            not in memory, so that C{sendfile} does not wait for the disk.
        @return: a Deferred firing with the number of bytes sent (fewer than
            C{count} only if the file was shorter).
        """


class IZeroCopyConsumer(IConsumer, ISendfileTarget):
    """
    Deprecated: ftpkit no longer uses it; a descriptor-backed file
    provides L{IDescriptorFile} instead.

    A consumer (the data channel, on a plain socket in binary mode) that
    can also copy straight from a file descriptor to the network.
    """
