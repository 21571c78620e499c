"""
Plugin shells whose downloads are Twisted's C{FileSender}, as a plugin
outside the repository writes them: one that fires as C{FileSender} does
(L{LastByteSenderShell}), and ones whose send is over only after the data
connection took the last byte (L{StoppedEndShell}, L{LateEndShell}): the
pull that would find the end of the file waits until the connection stops
the producer, as a storage whose read of the end takes a round trip does.
A client that reads the last byte and closes the data connection at once
then ends it before the send is over.
"""

import io

from twisted.internet.defer import succeed
from twisted.internet.interfaces import IConsumer, IPullProducer
from twisted.protocols.basic import FileSender
from zope.interface import implementer

from ftpkit.interfaces import IReadFile
from ftpkit.shells.memory import MemoryShell


@implementer(IReadFile)
class LastByteSenderFile:
    """
    An L{IReadFile} whose C{send} is Twisted's C{FileSender} and fires as
    it does, with the last byte sent.
    """

    def __init__(self, data):
        """
        @param data: the bytes from the open offset.
        """
        self.size = len(data)
        self._data = data

    def send(self, consumer):
        """
        See L{IReadFile.send}.
        """
        return FileSender().beginFileTransfer(io.BytesIO(self._data),
                                              consumer)

    def close(self):
        """
        Nothing to release.
        """


@implementer(IConsumer, IPullProducer)
class HeldEnd:
    """
    Between a C{FileSender} and the data connection: the file's bytes
    pass, then the pull that would find the end of the file (and fire the
    send) is held until the connection stops the producer. Then the sender
    is stopped (its send fails, as C{FileSender}'s does), or, C{late},
    finds the end of the file on the reactor's next turn, its send
    succeeding after the connection ended.
    """

    _written = 0
    _stopped = False
    _sender = None

    def __init__(self, consumer, size, late, clock):
        """
        @param consumer: the connection's consumer.
        @param size: the bytes the sender writes.
        @param late: see above.
        @param clock: the reactor (its C{callLater}).
        """
        self._consumer, self._size = consumer, size
        self._late, self._clock = late, clock

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}: this holds the sender, and is
        the connection's (pull) producer.
        """
        self._sender = producer
        self._consumer.registerProducer(self, False)

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}: nothing to undo once the
        connection stopped this producer.
        """
        if not self._stopped:
            self._consumer.unregisterProducer()

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        self._written += len(data)
        self._consumer.write(data)

    def resumeProducing(self):
        """
        See L{IPullProducer.resumeProducing}: the next chunk, while the
        file has bytes left; the end of the file waits.
        """
        if self._written < self._size:
            self._sender.resumeProducing()

    def stopProducing(self):
        """
        See L{IPullProducer.stopProducing}: see the class.
        """
        self._stopped = True
        if self._late:
            self._clock.callLater(0, self._sender.resumeProducing)
        else:
            self._sender.stopProducing()


class StoppedEndFile(LastByteSenderFile):
    """
    A L{LastByteSenderFile} whose send fails once the connection stops
    it, every byte written (L{HeldEnd}).

    @cvar late: see L{HeldEnd}.
    @cvar clock: the reactor its sends use.
    """

    late = False
    clock = None

    def send(self, consumer):
        """
        See L{IReadFile.send}.
        """
        clock = self.clock
        if clock is None:
            from twisted.internet import reactor as clock
        return LastByteSenderFile.send(
            self, HeldEnd(consumer, self.size, self.late, clock))


class LateEndFile(StoppedEndFile):
    """
    A L{StoppedEndFile} whose send succeeds a turn after the connection
    ended (L{HeldEnd}, C{late}).
    """

    late = True


class LastByteSenderShell(MemoryShell):
    """
    A L{MemoryShell} whose downloads are L{fileType}s.

    @cvar fileType: the class of its downloads, made from their bytes.
    """

    fileType = LastByteSenderFile

    def openForReading(self, path, offset=0):
        """
        See L{ftpkit.interfaces.IFTPShell.openForReading}: the file's bytes
        from C{offset} in a L{fileType}.
        """
        opened = MemoryShell.openForReading(self, path, offset)
        opened.addCallback(lambda random: random.readAt(0, random.size)
                           if random.size else succeed(b""))
        return opened.addCallback(self.fileType)


class StoppedEndShell(LastByteSenderShell):
    """
    Downloads are L{StoppedEndFile}s.
    """

    fileType = StoppedEndFile


class LateEndShell(LastByteSenderShell):
    """
    Downloads are L{LateEndFile}s.
    """

    fileType = LateEndFile
