"""
Calls of a plugin's objects held to their contract, and what is said when
they break it: one log line naming the class, the method and what was
wrong (L{describeFailure}: the exception and where it was raised, never a
traceback), and the reply the client gets instead (L{translated}: an
L{ftpkit.errors.FTPError} as it is, the system's error for an C{OSError},
else C{451}). L{ftpkit.shells.contract} holds a shell's methods with them;
the adapters and transfers the methods of the files a shell opens.
"""

import os
import sys
from types import CoroutineType

from twisted.internet.defer import CancelledError, fail
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import alsoProvides, providedBy

from ftpkit.deferreds import isDeferred
from ftpkit.errors import FTPError, LocalError, fromOSError, isOutOfDescriptors
from ftpkit.shells import answers

_log = Logger(namespace="ftpkit.shells.contract")
"""The lines are the contract's, wherever the call was held."""

_TWISTED = os.path.dirname(os.path.dirname(
    sys.modules[Failure.__module__].__file__)) + os.sep
"""Where Twisted's own modules are."""


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
    if failure.frames:
        function, path, line = failure.frames[-1][:3]
        # A failure a Deferred was given without its traceback (defer.fail)
        # is raised again by Twisted: where is not known.
        if not path.startswith(_TWISTED):
            text += f" (raised at {path}:{line}, in {function})"
    text = " ".join(text.split())
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1]
                   for char in text)


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


def toldFailure(failure, owner, name, reply=None):
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
    @return: C{failure}, or a L{Failure} of the L{FTPError} to reply with.
    """
    error = translated(failure)
    if error is None:
        return failure
    complain(type(owner).__qualname__, name,
             "failed with " + describeFailure(failure), reply or error)
    return Failure(error)


def loggedFailure(failure, owner, name):
    """
    Log a plugin's failed call in one line (L{describeFailure}), where
    nobody is to be told but the operator (releasing a file once the
    transfer's reply is decided).

    @param failure: how the call failed.
    @param owner: the plugin's object whose method it was (a file).
    @param name: the method.
    @return: C{None}.
    """
    _log.error("{owner}.{method} failed with {why}",
               owner=type(owner).__qualname__, method=name,
               why=describeFailure(failure))


def heldCall(owner, name, *args):
    """
    Call a plugin's method that answers with a Deferred, held to that:
    a plain value, or an exception raised, is a failing Deferred, and
    its failure is told as L{toldFailure} does.

    @param owner: the plugin's object (a file).
    @param name: its method.
    @param args: the arguments.
    @return: a L{Deferred}.
    """
    try:
        answer = getattr(owner, name)(*args)
    except Exception:
        return fail(toldFailure(Failure(), owner, name))
    if not isDeferred(answer):
        complain(type(owner).__qualname__, name, notDeferred(answer),
                  LocalError())
        return fail(LocalError())
    return answer.addErrback(toldFailure, owner, name)


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


class HeldWriteFile:
    """
    A producer/consumer upload file (L{IWriteFile}) of a shell from
    outside ftpkit, its C{receive}, C{close}, C{abort} and C{discard}
    held to their contract (L{heldCall}). It provides what the file
    provides, and hands on every other attribute.
    """

    def __init__(self, writeFile):
        """
        @param writeFile: the shell's L{IWriteFile}.
        """
        self._file = writeFile
        alsoProvides(self, providedBy(writeFile))

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

    def receive(self):
        """
        See L{IWriteFile.receive}.
        """
        return heldCall(self._file, "receive")

    def close(self):
        """
        See L{IWriteFile.close}.
        """
        return heldCall(self._file, "close")

    def abort(self):
        """
        See L{IWriteFile.abort}.
        """
        return heldCall(self._file, "abort")

    def discard(self):
        """
        See L{ftpkit.interfaces.IPartialWriteFile.discard}.
        """
        return heldCall(self._file, "discard")
