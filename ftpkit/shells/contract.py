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
C{451}. What an answer fires with is held to its shape too: C{stat}'s
and the listings' (L{ftpkit.shells.answers}; the batches of a listing:
L{ftpkit.shells.contractlistings}), and the files an open gives.

The methods that answer at once (C{permitted}, C{permittedIn},
C{unsupportedFeatures}, C{writesAtOffsets}, C{localPath}) are held to
their shapes as well; one that raises or gives another shape is, for the
session, taken as telling nothing, as a shell without that extra would
(every C{perm} letter the server's rules allow; every C{FEAT} line;
uploads that resume; no local file), said in one log line a session.

ftpkit's own wrappers that a realm put around such a shell
(L{ftpkit.shells.wrappers.ReadOnlyShell}...) are given the held shell:
L{heldToContract} copies them around it, as
L{ftpkit.shells.shellwrapper.ShellWrapper.forResumer} does, so that
what they make of its answers (an upload-only wrapper's C{stat} of a
new file) is made of answers that keep the contract.
"""

from twisted.internet.defer import fail
from twisted.logger import Logger
from twisted.python.failure import Failure

from ftpkit.deferreds import isDeferred
from ftpkit.errors import LocalError
from ftpkit.interfaces import (
    OPTIONAL_SHELL_INTERFACES,
    IFTPShell,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IWriteFile,
)
from ftpkit.ops.logthrottle import LogThrottle, Summaries, skippedNote
from ftpkit.protocol.permletters import ALL
from ftpkit.shells import answers
from ftpkit.shells.adapters import ReadFileAdapter
from ftpkit.shells.contractlistings import checkedListing
from ftpkit.shells.heldcalls import (
    HeldRandomWriteFile,
    HeldReadFile,
    HeldWriteFile,
    complain,
    describeFailure,
    notDeferred,
    translated,
)
from ftpkit.shells.release import release
from ftpkit.shells.shellwrapper import ShellWrapper

_log = Logger()

ANSWERING_AT_ONCE = frozenset(
    ["unsupportedFeatures", "forResumer", "permitted", "permittedIn",
     "writesAtOffsets", "localPath"])
"""The methods of the optional extras that answer at once rather than
with a L{Deferred}: held by L{ContractShell._atOnce} (C{forResumer}:
L{ftpkit.control.handlers.login.forResumer}), not as a Deferred."""

_OPENED = {
    "openForReading": (IRandomReadFile, IReadFile),
    "openForWriting": (IRandomWriteFile, IWriteFile),
    "openForCreating": (IRandomWriteFile, IWriteFile),
}
"""The methods that open a file, and the interfaces one of which what
they give must provide."""

_CHECKED = {
    "stat": lambda info, *args: (info, answers.infoProblem(info)),
    "list": lambda entries, *args: answers.entriesProblem(entries),
    "listSome": lambda entries, *args: answers.entriesProblem(entries),
    "listNames": lambda names, *args: answers.namesProblem(names),
    "hash": lambda digest, path, algorithm, *args: answers.digestProblem(
        digest, algorithm),
    "available": lambda room, *args: answers.roomProblem(room),
    "resumableSize": lambda kept, *args: answers.keptProblem(kept),
    "resolve": lambda resolved, *args: answers.resolvedProblem(resolved),
    "linkTargets": lambda targets, *args: answers.targetsProblem(targets),
}
"""The methods whose answer is checked, each with its check: given the
answer and the method's arguments, C{(answer to use, None)} or
C{(None, what is wrong)}."""

_LISTING = frozenset(["list", "listSome", "listNames"])
"""The methods of L{_CHECKED} giving listings, whose names are checked
too."""


def _layers(shell):
    """
    @param shell: an L{IFTPShell}, wrapped or not.
    @return: the shell and every shell beneath it, outermost first.
    """
    layers = [shell]
    while isinstance(layers[-1], ShellWrapper):
        layers.append(layers[-1]._shell)
    return layers


def _ownerOf(shell):
    """
    @param shell: a shell, wrapped or not.
    @return: the classes of it and of the shells beneath it, as text:
        C{Outer(Inner)}.
    """
    layers = _layers(shell)
    return ("(".join(type(layer).__qualname__ for layer in layers)
            + ")" * (len(layers) - 1))


def _isOwn(shell):
    """
    @param shell: a shell.
    @return: whether its class is one of ftpkit's.
    """
    return type(shell).__module__.partition(".")[0] == "ftpkit"


COMPLAINT_LINES = 10
"""Lines a session gets a minute for each method of its plugin's shell
that breaks the contract (L{ContractShell._complain}), the next one after
them ending with how many were left out: a plugin that lets the system's
error out for a missing file (C{FileNotFoundError} rather than
L{ftpkit.errors.NoSuchFile}) had a line logged for every C{SIZE} a client
sent, as fast as it sent them, as refused commands would have
(L{ftpkit.ops.eventlog} bounds those the same way). When the minute ends
first, or the session's user logs out, a L{COMPLAINTS_NOT_LOGGED} line
counts them."""

COMPLAINTS_NOT_LOGGED = "contract-breaches-not-logged"
"""The C{ftpkit_event} of the line counting the lines of one method
(C{method}) of a session's plugin shell (C{owner}) left out of the log."""


def heldToContract(shell):
    """
    @param shell: the L{IFTPShell} a realm gave.
    @return: C{shell} itself when it is ftpkit's own all through (its
        wrappers and the storage beneath them), else the shell held
        (L{_heldWithin}).
    """
    # Layer by layer, without the list of them (this runs at every login).
    layer = shell
    while _isOwn(layer):
        if not isinstance(layer, ShellWrapper):
            return shell
        layer = layer._shell
    return _heldWithin(shell)


def _heldWithin(shell):
    """
    @param shell: a shell with a layer from outside ftpkit.
    @return: a L{ContractShell} around the outermost such layer, and
        around it copies of the ftpkit wrappers above it (each as
        L{ShellWrapper.forResumer} copies it), so that they are given
        answers that keep the contract; around the outermost wrapper
        that may not be copied (L{ShellWrapper.copiedForResumer}
        false), where one is above it.
    """
    if not (_isOwn(shell) and isinstance(shell, ShellWrapper)
            and shell.copiedForResumer):
        return ContractShell(shell)
    copy = object.__new__(type(shell))
    copy.__dict__ = shell.__dict__.copy()
    copy._shell = _heldWithin(shell._shell)
    return copy


class ContractShell(ShellWrapper):
    """
    A shell handing every call on to a shell from outside ftpkit, holding
    each answer to the contract (see the module's docstring).
    """

    copiedForResumer = True

    _complaints = None
    """The L{Summaries} of the session's lines saying how a method broke
    the contract (L{COMPLAINT_LINES}), made at the first."""

    clock = None
    """The C{IReactorTime} of L{_complaints}; the global reactor when
    C{None}."""

    _warned = frozenset()
    """The methods whose listings had names left out, or whose answers at
    once were set aside, said once."""

    def _called(self, name, *args, **kwargs):
        """
        Call a method of the wrapped shell that answers with a Deferred.

        @param name: the method.
        @param args: its arguments.
        @param kwargs: its arguments given by name.
        @return: its L{Deferred}, with failures it should not have had
            told in the log and translated (L{translated}), those of
            its answer's check too (a listing whose reading raised); a
            failing one for a plain value or an exception raised.
        """
        try:
            answer = getattr(self._shell, name)(*args, **kwargs)
        except Exception:
            failure = Failure()
            error = translated(failure)
            self._complain(name, "raised " + describeFailure(failure)
                           + " rather than failing its Deferred", error)
            return fail(error or failure)
        if not isDeferred(answer):
            self._complain(name, notDeferred(answer), LocalError())
            return fail(LocalError())
        opened = _OPENED.get(name)
        if opened is not None:
            answer.addCallback(self._checkOpened, name, opened)
        elif name in _CHECKED:
            answer.addCallback(self._checkAnswer, name, args)
        elif name == "openListing":
            answer.addCallback(checkedListing, self)
        return answer.addErrback(self._failed, name)

    def _atOnce(self, name, check, otherwise, *args):
        """
        Call a method of the wrapped shell that answers at once, held to
        its shape: one that raises, or gives another shape, is said in
        one log line a session, and taken as telling nothing.

        @param name: the method.
        @param check: its check (L{ftpkit.shells.answers}): given the
            answer, C{(answer to use, None)} or C{(None, what is wrong)}.
        @param otherwise: what a shell without the method would tell.
        @param args: its arguments.
        @return: the answer checked, or C{otherwise}.
        """
        try:
            answer, problem = check(getattr(self._shell, name)(*args))
        except Exception:
            answer, problem = None, "raised " + describeFailure(Failure())
        else:
            if problem is None:
                return answer
            problem = "gave " + problem
        if name not in self._warned:
            self._warned = self._warned | {name}
            _log.error("{owner}.{method} {what}; taken as telling nothing "
                       "for the session", owner=self._owner(), method=name,
                       what=problem)
        return otherwise

    def permitted(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellPermitted.permitted} (provided
        when the wrapped shell provides it): its mask
        (L{ftpkit.shells.answers.maskProblem}), else every letter.
        """
        return self._atOnce("permitted", answers.maskProblem, ALL, path)

    def permittedIn(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellPermitted.permittedIn} (provided
        when the wrapped shell provides it): its masks
        (L{ftpkit.shells.answers.masksProblem}), else every letter for
        every entry.
        """
        return self._atOnce("permittedIn", answers.masksProblem, (ALL, {}),
                            path)

    def unsupportedFeatures(self):
        """
        See L{ftpkit.interfaces.IFTPShellFeatures.unsupportedFeatures}
        (provided when the wrapped shell provides it): its keywords
        (L{ftpkit.shells.answers.featuresProblem}), else none.
        """
        return self._atOnce("unsupportedFeatures", answers.featuresProblem,
                            frozenset())

    def writesAtOffsets(self):
        """
        See L{ftpkit.interfaces.IFTPShellUploadOffsets.writesAtOffsets}
        (provided when the wrapped shell provides it): its answer
        (L{ftpkit.shells.answers.offsetsProblem}), else C{True}, as a
        shell without the extra is taken to.
        """
        return self._atOnce("writesAtOffsets", answers.offsetsProblem, True)

    def localPath(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellLocalPath.localPath} (provided
        when the wrapped shell provides it): its path
        (L{ftpkit.shells.answers.localPathProblem}), else C{None}, no
        local file, as a shell without the extra tells.
        """
        return self._atOnce("localPath", answers.localPathProblem, None,
                            path)

    def _checkAnswer(self, answer, name, args):
        """
        Hold what C{stat}, a listing, C{hash} or C{available} fired with
        to its shape (L{ftpkit.shells.answers}).

        @param answer: what it fired with.
        @param name: the method.
        @param args: its arguments.
        @return: C{answer}, a listing as a C{list}.
        @raise LocalError: when it has another shape.
        """
        checked, problem = _CHECKED[name](answer, *args)
        if problem is None:
            return self._segments(checked, name) if name in _LISTING else (
                checked)
        self._complain(name, "gave " + problem, LocalError())
        raise LocalError()

    def _segments(self, entries, name, names=False):
        """
        Leave out of a listing the entries whose name names no entry
        (C{"."}, C{".."}, C{""}, a name holding C{"/"} or NUL:
        L{ftpkit.shells.answers.isSegment}), saying so once a session for
        each method (L{_leftOut}).

        @param entries: the listing's entries (or names, for
            C{listNames}), of the right shape.
        @param name: the method that gave them.
        @param names: C{entries} are names (the batches of
            C{nextNames}).
        @return: the entries kept.
        """
        kept, dropped = answers.withoutBadNames(
            entries, _itself if names or name == "listNames" else _nameOf)
        self._leftOut(name, dropped)
        return kept

    def _leftOut(self, name, dropped):
        """
        Say once a session for each method that names were left out of
        its listing.

        @param name: the method.
        @param dropped: the names left out, maybe none.
        """
        if dropped and name not in self._warned:
            self._warned = self._warned | {name}
            _log.warn("shell {shell}.{method} listed names that name no "
                      "entry, left out: {names}", shell=self._owner(),
                      method=name, names=answers.shortRepr(dropped))

    def _failed(self, failure, name):
        """
        Tell a failure of the wrapped shell's method (L{translated}).

        @param failure: how it failed.
        @param name: the method.
        @return: C{failure}, or a L{Failure} of the L{FTPError} to reply
            with.
        """
        error = translated(failure)
        if error is None:
            return failure
        self._complain(name, "failed with " + describeFailure(failure), error)
        return Failure(error)

    def _checkOpened(self, opened, name, interfaces):
        """
        Hold a file an open gave to being one of the two kinds: a
        producer/consumer one (declared or not: one with its C{send} or
        C{receive} kept working undeclared), or one read or written at
        offsets; its methods then held too (L{HeldReadFile},
        L{ReadFileAdapter}, L{HeldWriteFile}, L{HeldRandomWriteFile}),
        their lines counted with the shell's (L{noted}).

        @param opened: what the open fired with.
        @param name: the method.
        @param interfaces: the kinds it may be: at offsets, and producing.
        @return: the file to use.
        @raise LocalError: for anything else.
        """
        atOffsets, producing = interfaces
        method = "send" if producing is IReadFile else "receive"
        if not (atOffsets.providedBy(opened) or producing.providedBy(opened)
                or callable(getattr(opened, method, None))):
            self._complain(name, "gave %s, which provides neither %s "
                           "(declared with @implementer)" % (
                               answers.shortRepr(opened), " nor ".join(
                                   i.__name__ for i in interfaces)),
                           LocalError())
            raise LocalError()
        if producing is IReadFile:
            problem = answers.sizeProblem(getattr(opened, "size", None))
            if problem is not None:
                self._complain(name, "gave " + problem, LocalError())
                release(opened)
                raise LocalError()
            if atOffsets.providedBy(opened):
                return ReadFileAdapter(opened, self.noted)
            return HeldReadFile(opened, self.noted)
        held = (HeldRandomWriteFile if atOffsets.providedBy(opened)
                else HeldWriteFile)
        return held(opened, self.noted)

    def _complain(self, name, what, error):
        """
        Log one line: the shell, its method, what was wrong, the reply
        (L{noted}).

        @param name: the method.
        @param what: what was wrong, as text.
        @param error: the exception the client's reply is made of, or
            C{None} (L{complain}).
        """
        owner = self._owner()
        note = self.noted(owner, name)
        if note is not None:
            complain(owner, name, what + note, error)

    def noted(self, owner, name):
        """
        Count one line saying how a method of the plugin's shell, or of a
        file or listing it opened, broke the contract: a session gets
        L{COMPLAINT_LINES} a minute for each, then one line counting
        the others (L{_complaintsEnded}).

        @param owner: the plugin's class (or classes) whose method it
            was, as text.
        @param name: the method.
        @return: C{None} when the line is left out; else the text ending
            it (L{skippedNote}).
        """
        complaints = self._complaints
        if complaints is None:
            clock = self.clock
            if clock is None:
                from twisted.internet import reactor as clock
            complaints = self._complaints = Summaries(
                LogThrottle(clock, burst=COMPLAINT_LINES),
                self._complaintsEnded)
        skipped = complaints.admit((owner, name))
        return None if skipped is None else skippedNote(skipped)

    def _complaintsEnded(self, kind, count):
        """
        Log the L{COMPLAINTS_NOT_LOGGED} line of a method.

        @param kind: C{(owner, method)}, as L{noted} was given them.
        @param count: how many of its lines were left out.
        """
        owner, name = kind
        _log.error("{owner}.{method} contract breaches not logged: {count}",
                   ftpkit_event=COMPLAINTS_NOT_LOGGED, owner=owner,
                   method=name, count=count)

    def stopComplaints(self):
        """
        The session's user logs out: log the counts of lines left out
        now, and drop their timer.
        """
        if self._complaints is not None:
            self._complaints.stop()

    def _owner(self):
        """
        @return: the classes of the wrapped shell and of the shells beneath
            it, as text: C{Outer(Inner)}.
        """
        return _ownerOf(self._shell)


def ratesOf(shell):
    """
    The user's own rates an L{IFTPShellRates} shell a realm gave carries,
    held to their shape (L{ftpkit.shells.answers.rateProblem}): one of
    another shape is said in one log line and taken as C{None}, the
    server's rate.

    @param shell: the shell, providing L{IFTPShellRates}.
    @return: C{(downloadRate, uploadRate)}.
    """
    rates = []
    for name in ("downloadRate", "uploadRate"):
        rate = getattr(shell, name, None)
        problem = answers.rateProblem(rate)
        if problem is not None:
            _log.error("{owner}.{attribute} is {what}; the server's rate is "
                       "used", owner=_ownerOf(shell), attribute=name,
                       what=problem)
            rate = None
        rates.append(rate)
    return tuple(rates)


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
