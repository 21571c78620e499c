"""
Calls of a plugin's objects held to their contract, and what is said when
they break it: one log line naming the class, the method and what was
wrong (L{describeFailure}: the exception and where it was raised, never a
traceback), and the reply the client gets instead (L{translated}: an
L{ftpkit.errors.FTPError} as it is, the system's error for an C{OSError},
else C{451}). L{ftpkit.shells.contract} holds a shell's methods with them,
and the files a shell opens (L{HeldReadFile}, L{HeldWriteFile}...). Their
lines are counted with the session's others where a C{noted} is given (a
session's L{ftpkit.shells.contract.ContractShell.noted}: given the
plugin's class, as text, and the method, C{None} when the line is left
out, else the text ending it), so that a client repeating a command a
plugin breaks on has a few lines a minute logged, not one each.
"""

import os
import sys
import sysconfig
from types import CoroutineType

from twisted.internet.defer import CancelledError, fail, maybeDeferred
from twisted.internet.error import ConnectionClosed, ConnectionLost
from twisted.internet.interfaces import IConsumer, IPullProducer, IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import alsoProvides, implementer, providedBy

from ftpkit.deferreds import isDeferred
from ftpkit.errors import (
    FTPError,
    LocalError,
    TransferAborted,
    fromOSError,
    isOutOfDescriptors,
)
from ftpkit.shells import answers

_log = Logger(namespace="ftpkit.shells.contract")
"""The lines are the contract's, wherever the call was held."""

_TWISTED = os.path.dirname(os.path.dirname(
    sys.modules[Failure.__module__].__file__)) + os.sep
"""Where Twisted's own modules are."""

_STANDARD_LIBRARY = os.path.join(sysconfig.get_paths()["stdlib"], "")
"""Where the standard library's modules are."""

_INSTALLED = tuple(os.path.join(sysconfig.get_paths()[name], "")
                   for name in ("purelib", "platlib"))
"""Where packages are installed, which may be inside L{_STANDARD_LIBRARY}."""

_CUT = TransferAborted()
"""What the client gets for a download whose C{send} broke."""


def describeFailure(failure):
    """
    @param failure: a L{Failure}, or an exception that was raised.
    @return: one line: the exception's type and text and, when its
        traceback is known, the file, line and function it was raised in;
        a character that is not printable escaped as Python writes it
        (C{\\x1b}): a plugin's message may hold a path a client chose,
        and a terminal showing the log would run its escape sequences.
    """
    if isinstance(failure, BaseException):
        failure = Failure(failure, type(failure), failure.__traceback__)
    text = f"{failure.type.__name__}: {failure.getErrorMessage()}"
    where = _raisedIn(failure.frames)
    if where is not None:
        function, path, line = where
        text += f" (raised at {path}:{line}, in {function})"
    text = " ".join(text.split())
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1]
                   for char in text)


def _isStandardLibrary(path):
    """
    @param path: a frame's file name.
    @return: whether it is the standard library's (a frozen module's,
        C{<frozen os>}, among them), not a package installed beside it.
    """
    if path.startswith("<frozen "):
        return True
    return (path.startswith(_STANDARD_LIBRARY)
            and not path.startswith(_INSTALLED))


def _raisedIn(frames):
    """
    The frame to name where an exception was raised: the deepest one
    outside the standard library and Twisted (the plugin's line calling
    C{os.makedirs}, not C{<frozen os>:225, in makedirs}), else the
    deepest one.

    @param frames: a L{Failure}'s C{frames}, outermost first.
    @return: C{(function, path, line)}, or C{None} when no frame is
        known, or the deepest is Twisted's (a failure a Deferred was given
        without its traceback, C{defer.fail}, raised again by Twisted:
        where is not known).
    """
    if not frames or frames[-1][1].startswith(_TWISTED):
        return None
    for function, path, line, *_ in reversed(frames):
        if not (path.startswith(_TWISTED) or _isStandardLibrary(path)):
            return function, path, line
    return tuple(frames[-1][:3])


def translated(failure):
    """
    @param failure: how a shell's method failed.
    @return: C{None} for a failure the server replies to as it is (an
        L{FTPError}, a cancelled call, no descriptor left); else the
        L{FTPError} to reply with: the system's error for an C{OSError},
        else L{LocalError}.
    """
    if failure.check(FTPError, CancelledError) or isOutOfDescriptors(
            failure.value):
        return None
    if isinstance(failure.value, OSError):
        return fromOSError(failure.value)
    return LocalError()


def complain(owner, name, what, error):
    """
    Log one line: whose method, what was wrong, the client's reply.

    @param owner: the class (or classes) of the plugin's object, as text.
    @param name: the method.
    @param what: what was wrong, as text.
    @param error: the exception the client's reply is made of; C{None}
        for an L{FTPError} the method raised, taken as its failure, whose
        reply is what the caller makes of it (an ftpkit wrapper beneath
        the session's may take it as an answer: an upload-only wrapper's
        C{stat} of a new name).
    """
    if error is None:
        _log.error("{owner}.{method} {what}; taken as its failure",
                   owner=owner, method=name, what=what)
        return
    _log.error("{owner}.{method} {what}; the client gets {code}",
               owner=owner, method=name, what=what,
               code=getattr(error, "code", 451))


def toldFailure(failure, owner, name, reply=None, noted=None):
    """
    The failure of a plugin's call, as the server replies to it: one that
    says what the user should be told (an L{FTPError}) as it is; any other
    logged in one line (L{describeFailure}) and made the L{FTPError} to
    reply with (the system's for an C{OSError}, else L{LocalError}).

    @param failure: how the call failed.
    @param owner: the plugin's object whose method it was (a file).
    @param name: the method.
    @param reply: the L{FTPError} the client's reply is made of, where it
        is not the one returned (a listing cut once its data flows:
        C{426}); C{None} for that one.
    @param noted: counts the line (see the module's docstring),
        or C{None} for a line each time.
    @return: C{failure}, or a L{Failure} of the L{FTPError} to reply with.
    """
    error = translated(failure)
    if error is None:
        return failure
    owner = type(owner).__qualname__
    note = "" if noted is None else noted(owner, name)
    if note is not None:
        complain(owner, name, "failed with " + describeFailure(failure)
                 + note, reply or error)
    return Failure(error)


def loggedFailure(failure, owner, name, noted=None):
    """
    Log a plugin's failed call in one line (L{describeFailure}), where
    nobody is to be told but the operator (releasing a file once the
    transfer's reply is decided).

    @param failure: how the call failed.
    @param owner: the plugin's object whose method it was (a file).
    @param name: the method.
    @param noted: counts the line (see the module's docstring),
        or C{None} for a line each time.
    @return: C{None}.
    """
    owner = type(owner).__qualname__
    note = "" if noted is None else noted(owner, name)
    if note is not None:
        _log.error("{owner}.{method} failed with {why}{note}", owner=owner,
                   method=name, why=describeFailure(failure), note=note)


def heldCall(owner, name, *args, noted=None):
    """
    Call a plugin's method that answers with a Deferred, held to that:
    a plain value, or an exception raised, is a failing Deferred, and
    its failure is told as L{toldFailure} does.

    @param owner: the plugin's object (a file).
    @param name: its method.
    @param args: the arguments.
    @param noted: counts the lines (see the module's docstring),
        or C{None} for a line each time.
    @return: a L{Deferred}.
    """
    try:
        answer = getattr(owner, name)(*args)
    except Exception:
        return fail(toldFailure(Failure(), owner, name, None, noted))
    if not isDeferred(answer):
        kind = type(owner).__qualname__
        note = "" if noted is None else noted(kind, name)
        if note is not None:
            complain(kind, name, notDeferred(answer) + note, LocalError())
        else:
            notDeferred(answer)
        return fail(LocalError())
    return answer.addErrback(toldFailure, owner, name, None, noted)


def notDeferred(answer):
    """
    Say what a plugin's method gave instead of a Deferred; a coroutine (a
    method written C{async def}) is closed unrun, and the line says how
    to give one as a Deferred.

    @param answer: what it gave.
    @return: the text of the log line.
    """
    if isinstance(answer, CoroutineType):
        answer.close()
        return ("gave a coroutine (async def), not a Deferred: return "
                "defer.Deferred.fromCoroutine(...) of it")
    return "gave %s, not a Deferred" % (answers.shortRepr(answer),)


class HeldFile:
    """
    A file a shell from outside ftpkit opened, some of its methods held to
    their contract (L{heldCall}), their lines counted with the session's
    others (see the module's docstring). It provides what the file
    provides, and hands on every other attribute.
    """

    def __init__(self, opened, noted):
        """
        @param opened: the shell's file.
        @param noted: counts the lines (see the module's docstring).
        """
        self._file = opened
        self._noted = noted
        alsoProvides(self, providedBy(opened))

    def __getattr__(self, name):
        """
        @param name: an attribute not held here.
        @return: the file's.
        """
        return getattr(self._file, name)

    def __repr__(self):
        """
        @return: the file's C{repr}.
        """
        return repr(self._file)

    def _held(self, name, *args):
        """
        @param name: a method of the file.
        @param args: its arguments.
        @return: its L{Deferred}, held (L{heldCall}).
        """
        return heldCall(self._file, name, *args, noted=self._noted)


@implementer(IConsumer, IPushProducer, IPullProducer)
class StopNoting:
    """
    The consumer a held C{send} writes to, in front of the transfer's: it
    stands for the file's producer there, and notes whether the transfer
    stopped it (L{stopped}): the connection ended, or C{ABOR}.

    @ivar stopped: the producer was stopped.
    """

    stopped = False
    _producer = None

    def __init__(self, consumer):
        """
        @param consumer: the transfer's L{IConsumer}.
        """
        self._consumer = consumer

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}.
        """
        self._producer = producer
        self._consumer.registerProducer(self, streaming)

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}.
        """
        self._consumer.unregisterProducer()

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        self._consumer.write(data)

    def pauseProducing(self):
        """
        See L{IPushProducer.pauseProducing}.
        """
        self._producer.pauseProducing()

    def resumeProducing(self):
        """
        See L{IPushProducer.resumeProducing}.
        """
        self._producer.resumeProducing()

    def stopProducing(self):
        """
        See L{IPushProducer.stopProducing}: noted.
        """
        self.stopped = True
        self._producer.stopProducing()


class HeldReadFile(HeldFile):
    """
    A producer/consumer download file (L{ftpkit.interfaces.IReadFile}) of
    a shell from outside ftpkit, its C{send} and C{close} held: a C{send}
    that breaks is one line and C{426} (a peer gone is no plugin's fault:
    its C{ConnectionLost} is handed on, not logged, and so is the failure
    of a send whose producer the transfer stopped, L{StopNoting}, made a
    C{ConnectionLost}: Twisted's C{FileSender} fails with a plain
    C{Exception} then), a C{close} that fails one line.
    """

    def send(self, consumer):
        """
        See L{ftpkit.interfaces.IReadFile.send}.
        """
        noting = StopNoting(consumer)
        try:
            sending = self._file.send(noting)
        except Exception:
            sending = fail()
        if isDeferred(sending):
            return sending.addErrback(self._sendFailed, noting)
        what = notDeferred(sending)
        note = self._noted(type(self._file).__qualname__, "send")
        if note is not None:
            complain(type(self._file).__qualname__, "send", what + note, _CUT)
        return fail(LocalError())

    def _sendFailed(self, failure, noting):
        """
        @param failure: how C{send} failed.
        @param noting: the L{StopNoting} it wrote to.
        @return: C{failure} for a peer gone, a C{ConnectionLost} for a
            send the transfer stopped, else as L{toldFailure}.
        """
        if failure.check(ConnectionClosed, ConnectionError):
            return failure
        if noting.stopped:
            return Failure(ConnectionLost())
        return toldFailure(failure, self._file, "send", _CUT, self._noted)

    def close(self):
        """
        See L{ftpkit.interfaces.IReadFile.close}: a failure is logged
        (L{loggedFailure}), not handed on.
        """
        return maybeDeferred(self._file.close).addErrback(
            loggedFailure, self._file, "close", self._noted)


class HeldRandomWriteFile(HeldFile):
    """
    An upload file written at offsets
    (L{ftpkit.interfaces.IRandomWriteFile}) of a shell from outside
    ftpkit, its C{writeAt} and C{close} held (L{heldCall}).
    """

    def writeAt(self, offset, data):
        """
        See L{ftpkit.interfaces.IRandomWriteFile.writeAt}.
        """
        return self._held("writeAt", offset, data)

    def close(self):
        """
        See L{ftpkit.interfaces.IRandomWriteFile.close}.
        """
        return self._held("close")


class HeldWriteFile(HeldFile):
    """
    A producer/consumer upload file (L{IWriteFile}) of a shell from
    outside ftpkit, its C{receive}, C{close}, C{abort} and C{discard}
    held to their contract (L{heldCall}).
    """

    def receive(self):
        """
        See L{IWriteFile.receive}.
        """
        return self._held("receive")

    def close(self):
        """
        See L{IWriteFile.close}.
        """
        return self._held("close")

    def abort(self):
        """
        See L{IWriteFile.abort}.
        """
        return self._held("abort")

    def discard(self):
        """
        See L{ftpkit.interfaces.IPartialWriteFile.discard}.
        """
        return self._held("discard")
