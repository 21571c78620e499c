"""
Running one command of a session: L{CommandRunning}, a mixin of
L{ftpkit.control.connection.FTPProtocol}.

A command is first checked against L{ftpkit.protocol.commandtable} (a
verb ftpkit does not know or does not implement, a command that needs a
login, an argument it must or must not have, an access the user lacks);
then its C{ftp_VERB} handler runs, and what it gives (a reply
C{(code, text)}, C{None} when it replied already, or a coroutine
producing one) is sent as the command's reply, as is an error it raises
(its own code for an L{FTPError}, C{451} for anything else). Every final
reply the command table and the handlers give is reported
(L{ftpkit.control.handlers.reporting.SessionReporting}).
"""

from twisted.python.failure import Failure

from ftpkit.control import coroutines
from ftpkit.control.handlers.reporting import REPORTED_VERBS
from ftpkit.data import descriptors
from ftpkit.errors import (
    FTPError,
    LocalOutOfDescriptors,
    OutOfDescriptors,
    isOutOfDescriptors,
)
from ftpkit.ops import events
from ftpkit.protocol import commandtable
from ftpkit.protocol.access import READ
from ftpkit.protocol.commands import CUT_LINE


class CommandRunning:
    """
    Check and run a session's commands, replying to each.

    What it uses of the protocol it is mixed into: C{session} (the fields
    of L{sessionFields}), C{reply}, C{reportCommandStarted},
    C{reportReplied}, C{close}, C{log}, C{peer}, C{config} (whether
    C{MODE}'s syntax names C{Z}), and for a queued command C{_busy} and
    C{commandFinished}.
    """

    sessionFields = frozenset(["shell", "access", "renameFrom"])

    def runCommand(self, verb, argument, queued=False):
        """
        Check and run one command, replying to it.

        @param verb: the command, upper case.
        @param argument: its argument text, or C{""}.
        @param queued: the command takes the session's turn: once a
            command that waits has replied, C{commandFinished()} is called
            (from the same call as the reply, which the coroutine's driver
            makes itself: a download whose client had not closed its side
            when the data ended paid for a callback and a Deferred more on
            every file), if C{_busy} was set meanwhile (by the caller, to
            the L{coroutines.Running} returned).
        @return: C{None} if it replied at once; otherwise, queued, a
            L{coroutines.Running} (its C{called} set once it has replied),
            else a Deferred firing once it has replied.
        """
        command = commandtable.COMMANDS.get(verb)
        refusal = self.refusal(verb, command, argument)
        if refusal is not None:
            self.reply(*refusal)
            self.reportReplied(verb, argument, refusal[0])
            return None
        if verb != "RNTO" and verb != "RNFR":
            self.session.renameFrom = None
        if verb in REPORTED_VERBS:
            self.reportCommandStarted()
        handler = getattr(self, command.method)
        try:
            result = handler(argument)
        except Exception:
            self._replyFailure(Failure(), verb, argument)
            return None
        if result is None:
            return None
        if not isinstance(result, tuple):
            try:
                if queued:
                    result, d = coroutines.start(
                        result, self._replyQueued, self._replyQueued,
                        (verb, argument))
                else:
                    result, d = coroutines.start(result)
            except BaseException:
                self._replyFailure(Failure(), verb, argument)
                return None
            if d is not None:
                if not queued:
                    d.addCallbacks(self._replyResult, self._replyFailure,
                                   callbackArgs=(verb, argument),
                                   errbackArgs=(verb, argument))
                return d
            if result is None:
                return None
        self.reply(*result)
        code = result[0]
        if verb in REPORTED_VERBS or code in events.REFUSAL_CODES:
            # reportReplied publishes nothing for any other command.
            self.reportReplied(verb, argument, code)
        return None

    def refusal(self, verb, command, argument):
        """
        Decide whether a command may run at all. Before login, every
        command that needs one gets C{530}, whatever its argument (its
        syntax is checked only once the client may run it).

        @param verb: the command's verb, upper case.
        @param command: its L{ftpkit.protocol.commandtable} entry, or C{None}
            for a verb ftpkit does not know.
        @param argument: its argument.
        @return: a reply C{(code, text)} refusing it, or C{None}.
        """
        if command is None:
            if verb == CUT_LINE:
                return (501, "Command line cut by a bare LF (a name "
                        "holding a newline?): not run")
            if verb in commandtable.KNOWN_UNIMPLEMENTED:
                return (502, "Command not implemented")
            return (500, "Unknown command")
        if command.needsLogin and self.session.shell is None:
            return self.loginFirst()
        if command.argument == commandtable.REQUIRED and not argument:
            return (501, "Syntax: " + commandtable.syntaxOf(
                command, self.config.modeZ))
        if command.argument == commandtable.NONE and argument:
            return (501, "Syntax: " + command.syntax)
        # accessOf's answer for any verb but SITE, without the call (two
        # commands a small transfer).
        access = (command.access if command.verb != "SITE"
                  else commandtable.accessOf(command, argument))
        if access != READ and not self.session.access.allows(access):
            return (550, "Permission denied")
        return None

    def _replyResult(self, result, verb, argument):
        if result is not None:
            self.reply(*result)
            self.reportReplied(verb, argument, result[0])

    def _replyQueued(self, outcome, verb, argument):
        # A queued command's reply, or its failure's: either way the
        # session's turn ends with it.
        try:
            if isinstance(outcome, Failure):
                self._replyFailure(outcome, verb, argument)
            else:
                self._replyResult(outcome, verb, argument)
        finally:
            if self._busy is not None:
                self.commandFinished()

    def _replyFailure(self, failure, verb, argument):
        reason = None
        if isOutOfDescriptors(failure.value):
            # Neither the client's fault nor a bug: the operator is told
            # why (once per command), the client to try again later:
            # 425 when a data connection could not be made, 451 when
            # anything else could not be opened (an error the shell let
            # through untranslated too).
            if not isinstance(failure.value, OutOfDescriptors):
                failure = Failure(LocalOutOfDescriptors())
            reason = failure.value.message
            # What is kept idle for reuse goes, for the client's retry.
            descriptors.releaseIdle()
        if failure.check(FTPError):
            code = failure.value.code
            if code == 553 and verb not in commandtable.NAMING_NEW:
                code = 550
            self.reply(code, failure.value.message)
            if code == 421:
                # 421 promises the control connection is closing.
                self.close()
        else:
            code = 451
            self.log.failure("error handling {verb} from {peer}", failure,
                             verb=verb, peer=self.peer)
            self.reply(451,
                       "Requested action aborted: local error in processing")
        if not self.reportReplied(verb, argument, code, reason) and (
                reason is not None):
            # No event says why (a file transfer's and a refusal's do).
            self.log.warn("refused {verb} from {peer}: {why}", verb=verb,
                          peer=self.peer, why=reason)
