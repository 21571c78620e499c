"""
A shell written outside ftpkit, held to L{ftpkit.interfaces.IFTPShell}'s
contract where the server calls it: L{heldToContract}, which the login
puts around whatever shell a realm gave that is not all ftpkit's own.

Every method of the contract answers with a L{Deferred}, and fails it
with an L{ftpkit.errors.FTPError} for what the user should be told. A
plugin that breaks that (a plain value, an exception raised rather than
a failing L{Deferred}, another exception type, a file that is neither
kind of open file) gets, for that command, one log line naming the
shell's class, the method and what was wrong (L{describeFailure}: the
exception and where it was raised, never a traceback), and the client a
clear reply: the error's own for an L{FTPError} raised, the system's for
an C{OSError} (L{ftpkit.errors.fromOSError}: C{550} for C{ENOENT}), else
C{451}.
"""

import os
import sys
from types import CoroutineType

from twisted.internet.defer import CancelledError, fail, maybeDeferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import alsoProvides, implementer, providedBy

from ftpkit.deferreds import isDeferred
from ftpkit.errors import FTPError, LocalError, fromOSError, isOutOfDescriptors
from ftpkit.interfaces import (
    OPTIONAL_SHELL_INTERFACES,
    IDirectoryListing,
    IFTPShell,
    INameListing,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IStatListing,
    IWriteFile,
)
from ftpkit.shells import answers
from ftpkit.shells.shellwrapper import ShellWrapper

_log = Logger()

_TWISTED = os.path.dirname(os.path.dirname(
    sys.modules[Failure.__module__].__file__)) + os.sep
"""Where Twisted's own modules are."""

ANSWERING_AT_ONCE = frozenset(
    ["unsupportedFeatures", "forResumer", "permitted", "permittedIn"])
"""The methods of the optional extras that answer at once rather than
with a L{Deferred}: handed on unchecked."""

_OPENED = {
    "openForReading": (IRandomReadFile, IReadFile),
    "openForWriting": (IRandomWriteFile, IWriteFile),
    "openForCreating": (IRandomWriteFile, IWriteFile),
}
"""The methods that open a file, and the interfaces one of which what
they give must provide."""

_CHECKED = {
    "stat": lambda info: (info, answers.infoProblem(info)),
    "list": answers.entriesProblem,
    "listSome": answers.entriesProblem,
    "listNames": answers.namesProblem,
}
"""The methods whose answer is checked, each with its check: given the
answer, C{(answer to use, None)} or C{(None, what is wrong)}."""


def describeFailure(failure):
    """
    @param failure: a L{Failure}, or an exception that was raised.
    @return: one line: the exception's type and text and, when its
        traceback is known, the file, line and function it was raised in.
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
    return " ".join(text.split())


def _layers(shell):
    """
    @param shell: an L{IFTPShell}, wrapped or not.
    @return: the shell and every shell beneath it, outermost first.
    """
    layers = [shell]
    while isinstance(layers[-1], ShellWrapper):
        layers.append(layers[-1]._shell)
    return layers


def _isOwn(shell):
    """
    @param shell: a shell.
    @return: whether its class is one of ftpkit's.
    """
    return type(shell).__module__.partition(".")[0] == "ftpkit"


def heldToContract(shell):
    """
    @param shell: the L{IFTPShell} a realm gave.
    @return: C{shell} itself when it is ftpkit's own all through (its
        wrappers and the storage beneath them), else a L{ContractShell}
        around it.
    """
    if all(_isOwn(layer) for layer in _layers(shell)):
        return shell
    return ContractShell(shell)


def _translated(failure):
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


class ContractShell(ShellWrapper):
    """
    A shell handing every call on to a shell from outside ftpkit, holding
    each answer to the contract (see the module's docstring).
    """

    copiedForResumer = True

    _warned = frozenset()
    """The methods whose listings had names left out, said once."""

    def _called(self, name, *args, **kwargs):
        """
        Call a method of the wrapped shell that answers with a Deferred.

        @param name: the method.
        @param args: its arguments.
        @param kwargs: its arguments given by name.
        @return: its L{Deferred}, with failures it should not have had
            told in the log and translated (L{_translated}); a failing
            one for a plain value or an exception raised.
        """
        try:
            answer = getattr(self._shell, name)(*args, **kwargs)
        except Exception:
            failure = Failure()
            error = _translated(failure)
            self._complain(name, "raised " + describeFailure(failure)
                           + " rather than failing its Deferred",
                           error or failure.value)
            return fail(error or failure)
        if not isDeferred(answer):
            self._complain(name, _notDeferred(answer), LocalError())
            return fail(LocalError())
        answer.addErrback(self._failed, name)
        opened = _OPENED.get(name)
        if opened is not None:
            answer.addCallback(self._checkOpened, name, opened)
        elif name in _CHECKED:
            answer.addCallback(self._checkAnswer, name)
        elif name == "openListing":
            answer.addCallback(self._checkListing)
        return answer

    def _checkListing(self, listing):
        """
        Hold the batches of a plain L{IDirectoryListing} (one that is not
        also an L{IStatListing} or an L{INameListing}, whose batches the
        server reads otherwise) to their shape, as L{list}'s answer is.

        @param listing: what C{openListing} fired with.
        @return: the listing to read.
        """
        if IStatListing.providedBy(listing) or INameListing.providedBy(
                listing):
            return listing
        return _CheckedListing(listing, self)

    def _checkAnswer(self, answer, name):
        """
        Hold what C{stat} or a listing fired with to its shape
        (L{ftpkit.shells.answers}).

        @param answer: what it fired with.
        @param name: the method.
        @return: C{answer}, a listing as a C{list}.
        @raise LocalError: when it has another shape.
        """
        checked, problem = _CHECKED[name](answer)
        if problem is None:
            return checked if name == "stat" else self._segments(
                checked, name)
        self._complain(name, "gave " + problem, LocalError())
        raise LocalError()

    def _segments(self, entries, name):
        """
        Leave out of a listing the entries whose name names no entry
        (C{"."}, C{".."}, C{""}, a name holding C{"/"} or NUL:
        L{ftpkit.shells.answers.isSegment}), saying so once a session for
        each method.

        @param entries: the listing's entries (or names, for
            C{listNames}), of the right shape.
        @param name: the method that gave them.
        @return: the entries kept.
        """
        kept, dropped = answers.withoutBadNames(
            entries, _nameOf if name != "listNames" else _itself)
        if dropped and name not in self._warned:
            self._warned = self._warned | {name}
            layers = _layers(self._shell)
            _log.warn("shell {shell}.{method} listed names that name no "
                      "entry, left out: {names}", shell="(".join(
                          type(layer).__qualname__ for layer in layers)
                      + ")" * (len(layers) - 1), method=name,
                      names=answers.shortRepr(dropped))
        return kept

    def _failed(self, failure, name):
        """
        Tell a failure of the wrapped shell's method (L{_translated}).

        @param failure: how it failed.
        @param name: the method.
        @return: C{failure}, or a L{Failure} of the L{FTPError} to reply
            with.
        """
        error = _translated(failure)
        if error is None:
            return failure
        self._complain(name, "failed with " + describeFailure(failure), error)
        return Failure(error)

    def _checkOpened(self, opened, name, interfaces):
        """
        Hold a file an open gave to being one of the two kinds: a
        producer/consumer one (declared or not: one with its C{send} or
        C{receive} kept working undeclared) whose upload methods are then
        held too (L{HeldWriteFile}), or one read or written at offsets.

        @param opened: what the open fired with.
        @param name: the method.
        @param interfaces: the kinds it may be: at offsets, and producing.
        @return: the file to use.
        @raise LocalError: for anything else.
        """
        atOffsets, producing = interfaces
        if atOffsets.providedBy(opened):
            return opened
        method = "send" if producing is IReadFile else "receive"
        if producing.providedBy(opened) or callable(
                getattr(opened, method, None)):
            return opened if producing is IReadFile else HeldWriteFile(opened)
        self._complain(name, "gave %s, which provides neither %s (declared "
                       "with @implementer)" % (answers.shortRepr(opened), " nor ".join(
                           i.__name__ for i in interfaces)), LocalError())
        raise LocalError()

    def _complain(self, name, what, error):
        """
        Log one line: the shell, its method, what was wrong, the reply.

        @param name: the method.
        @param what: what was wrong, as text.
        @param error: the exception the client's reply is made of.
        """
        layers = _layers(self._shell)
        names = "(".join(type(layer).__qualname__ for layer in layers)
        names += ")" * (len(layers) - 1)
        _complain(names, name, what, error)


def _complain(owner, name, what, error):
    """
    Log one line: whose method, what was wrong, the client's reply.

    @param owner: the class (or classes) of the plugin's object, as text.
    @param name: the method.
    @param what: what was wrong, as text.
    @param error: the exception the client's reply is made of.
    """
    _log.error("{owner}.{method} {what}; the client gets {code}",
               owner=owner, method=name, what=what,
               code=getattr(error, "code", 451))


def toldFailure(failure, owner, name):
    """
    The failure of a plugin's call, as the server replies to it: one that
    says what the user should be told (an L{FTPError}) as it is; any other
    logged in one line (L{describeFailure}) and made the L{FTPError} to
    reply with (the system's for an C{OSError}, else L{LocalError}).

    @param failure: how the call failed.
    @param owner: the plugin's object whose method it was (a file).
    @param name: the method.
    @return: C{failure}, or a L{Failure} of the L{FTPError} to reply with.
    """
    error = _translated(failure)
    if error is None:
        return failure
    _complain(type(owner).__qualname__, name,
              "failed with " + describeFailure(failure), error)
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
        _complain(type(owner).__qualname__, name, _notDeferred(answer),
                  LocalError())
        return fail(LocalError())
    return answer.addErrback(toldFailure, owner, name)


def _notDeferred(answer):
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


@implementer(IDirectoryListing)
class _CheckedListing:
    """
    A plugin's L{IDirectoryListing} whose batches are held to their shape
    (L{ftpkit.shells.answers.entriesProblem}), their failures told as
    L{toldFailure} does (a plain list stays taken, as the server took it).
    """

    def __init__(self, listing, shell):
        """
        @param listing: the plugin's listing.
        @param shell: the L{ContractShell} that opened it, which says what
            is wrong in the log.
        """
        self._listing = listing
        self._shell = shell

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}.
        """
        batch = maybeDeferred(self._listing.nextBatch)
        batch.addErrback(toldFailure, self._listing, "nextBatch")
        return batch.addCallback(self._checked)

    def _checked(self, batch):
        entries, problem = answers.entriesProblem(batch)
        if problem is None:
            kept = self._shell._segments(entries, "openListing")
            # An empty batch ends the listing: one left empty does not.
            return kept if kept or not entries else self.nextBatch()
        self._shell._complain("openListing", "gave a listing whose batch "
                              "gave " + problem, LocalError())
        raise LocalError()

    def close(self):
        """
        See L{IDirectoryListing.close}.
        """
        return self._listing.close()


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


def _nameOf(entry):
    """
    @param entry: a C{(name, FileInfo)} pair.
    @return: its name.
    """
    return entry[0]


def _itself(name):
    """
    @param name: a name C{listNames} gave.
    @return: C{name}.
    """
    return name


def _heldMethod(name):
    """
    @param name: a method of L{IFTPShell} or an optional extra that
        answers with a Deferred.
    @return: a L{ContractShell} method calling it through
        L{ContractShell._called}.
    """
    def call(self, *args, **kwargs):
        return self._called(name, *args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = ("The wrapped shell's C{%s}, held to the contract "
                    "(L{ContractShell._called})." % (name,))
    return call


def _addHeldMethods(cls):
    """
    Give C{cls} a held method for each method answering with a Deferred.
    """
    for interface in (IFTPShell, *OPTIONAL_SHELL_INTERFACES):
        for name in interface.names():
            if name not in ANSWERING_AT_ONCE:
                setattr(cls, name, _heldMethod(name))
    return cls


_addHeldMethods(ContractShell)
