"""
Tests for L{ftpkit.control.commandqueue}: what the control connection
does with each command a client sends, without a transport.
"""

from twisted.trial import unittest

from ftpkit.control.commandqueue import (
    ABORT,
    ABORTING,
    DROP,
    NOW,
    QUEUED,
    RUN,
    RUNNING,
    STOPPED,
    WAITING,
    CommandQueue,
)


def noTransfer():
    """
    @return: no transfer is underway.
    """
    return None


def running():
    """
    @return: a transfer's data is moving.
    """
    return RUNNING


def aborting():
    """
    @return: a transfer was aborted; its end is under way.
    """
    return ABORTING


def waiting():
    """
    @return: a transfer command waits for its data connection.
    """
    return WAITING


def asked():
    """
    A transfer state that must not be asked for.
    """
    raise AssertionError("transfer state asked for")


class ArriveTests(unittest.TestCase):
    """
    L{CommandQueue.arrive} says whether a command runs now or waits.
    """

    def test_runsWhenIdle(self):
        """
        With nothing waiting and nothing running, a command runs now and
        is not kept; whether a transfer is underway is not asked.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("PWD", "", asked, True), RUN)
        self.assertEqual(len(queue), 0)

    def test_waitsWhileBusy(self):
        """
        While a command runs, the next ones wait and come out in order.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("MDTM", "a", noTransfer, False), QUEUED)
        self.assertIs(queue.arrive("NOOP", "", noTransfer, False), QUEUED)
        self.assertEqual(len(queue), 2)
        self.assertEqual(queue.next(), ("MDTM", "a"))
        self.assertEqual(queue.next(), ("NOOP", ""))
        self.assertIsNone(queue.next())

    def test_waitsBehindWaiting(self):
        """
        A command arriving while others wait waits behind them, even when
        nothing runs at that moment.
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("NOOP", "", noTransfer, False)
        self.assertIs(queue.arrive("PWD", "", noTransfer, True), QUEUED)
        self.assertEqual([queue.next(), queue.next()],
                         [("NOOP", ""), ("PWD", "")])

    def test_unknownVerb(self):
        """
        A verb ftpkit does not know is run (to be refused) like any other.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("XYZZY", "", asked, True), RUN)

    def test_abortDuringTransfer(self):
        """
        C{ABOR} while a transfer runs or waits says to end it; the queue
        keeps nothing until L{CommandQueue.take} is given it.
        """
        for state in running, waiting:
            queue = CommandQueue(8, 1000)
            self.assertIs(queue.arrive("ABOR", "", state, False), ABORT)
            self.assertEqual(len(queue), 0)
            self.assertIs(queue.take("ABOR", "", False), QUEUED)
            self.assertEqual(queue.next(), ("ABOR", ""))

    def test_abortWithoutTransfer(self):
        """
        C{ABOR} with no transfer underway is an ordinary command.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("ABOR", "", noTransfer, False), QUEUED)

    def test_statusDuringTransfer(self):
        """
        C{STAT} during a transfer is answered now when nothing waits,
        even while the transfer's command runs.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("STAT", "", running, False), NOW)
        self.assertIs(queue.arrive("STAT", "", waiting, False), NOW)
        self.assertEqual(len(queue), 0)

    def test_statusKeepsItsTurn(self):
        """
        C{STAT} during a transfer waits behind the commands sent before
        it: its reply must come after theirs.
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("PWD", "", running, False)
        self.assertIs(queue.arrive("STAT", "", running, False), QUEUED)

    def test_statOfPathWhileWaiting(self):
        """
        C{STAT} of a path while the transfer command still waits is a
        listing: it waits its turn. Once the data moves, it is answered
        now, as a status.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("STAT", "dir", waiting, False), QUEUED)
        queue.next()
        self.assertIs(queue.arrive("STAT", "dir", running, False), NOW)

    def test_noopWhileDataMoves(self):
        """
        C{NOOP} while the transfer's data moves is answered now, before
        the transfer's final reply: a keep-alive (commons-net's) reads
        one reply per C{NOOP} before it reads the transfer's.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("NOOP", "", running, False), NOW)
        self.assertEqual(len(queue), 0)

    def test_noopWhileWaiting(self):
        """
        C{NOOP} while the transfer command still waits for its data
        connection waits its turn: answered now, its C{200} would come
        before the transfer's C{150}.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("NOOP", "", waiting, False), QUEUED)

    def test_noopKeepsItsTurn(self):
        """
        C{NOOP} pipelined behind a command waiting during a transfer waits
        behind it, its reply after that command's.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("PWD", "", running, False), QUEUED)
        self.assertIs(queue.arrive("NOOP", "", running, False), QUEUED)
        self.assertEqual([queue.next(), queue.next()],
                         [("PWD", ""), ("NOOP", "")])

    def test_noopWithoutTransfer(self):
        """
        C{NOOP} with no transfer waits its turn like any other command.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("NOOP", "", noTransfer, False), QUEUED)


class StopTests(unittest.TestCase):
    """
    L{CommandQueue.stop}: the server is stopping.
    """

    def test_dropsWaiting(self):
        """
        What waits is forgotten, and L{CommandQueue.stop} says so.
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("NOOP", "", noTransfer, False)
        self.assertTrue(queue.stop())
        self.assertEqual(len(queue), 0)
        self.assertIsNone(queue.next())

    def test_nothingForgotten(self):
        """
        With nothing waiting but C{ABOR}s and a C{QUIT}, which are kept,
        L{CommandQueue.stop} forgot nothing.
        """
        queue = CommandQueue(8, 1000)
        self.assertFalse(queue.stop())
        queue = CommandQueue(8, 1000)
        queue.arrive("ABOR", "", noTransfer, False)
        queue.arrive("QUIT", "", noTransfer, False)
        self.assertFalse(queue.stop())
        self.assertEqual(len(queue), 2)

    def test_refusesArriving(self):
        """
        Commands arriving are refused (L{STOPPED}: the drain answers
        them), C{ABOR} and C{STAT} with no transfer too, even on an idle
        session; after a C{QUIT} waiting, dropped still.
        """
        queue = CommandQueue(8, 1000)
        queue.stop()
        for verb in "NOOP", "ABOR", "STAT", "PWD":
            self.assertIs(queue.arrive(verb, "", noTransfer, True), STOPPED)
        self.assertEqual(len(queue), 0)
        queue.arrive("QUIT", "", noTransfer, False)
        self.assertIs(queue.arrive("PWD", "", noTransfer, False), DROP)

    def test_quitKept(self):
        """
        A C{QUIT} is kept, waiting when the stop came or arriving after
        it, to get its C{221} rather than the drain's C{421}; it was
        dropped. What arrives after it is dropped still.
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("NOOP", "", noTransfer, False)
        queue.arrive("QUIT", "", noTransfer, False)
        queue.stop()
        self.assertEqual(queue.next(), ("QUIT", ""))
        queue = CommandQueue(8, 1000)
        queue.stop()
        self.assertIs(queue.arrive("QUIT", "", running, False), QUEUED)
        self.assertIs(queue.arrive("NOOP", "", noTransfer, False), DROP)
        self.assertEqual(queue.next(), ("QUIT", ""))
        queue = CommandQueue(8, 1000)
        queue.stop()
        self.assertIs(queue.arrive("QUIT", "", noTransfer, True), RUN)

    def test_transferCommandsStillAct(self):
        """
        C{ABOR}, C{STAT} and C{NOOP} still act on the last transfer.
        """
        queue = CommandQueue(8, 1000)
        queue.stop()
        self.assertIs(queue.arrive("ABOR", "", running, False), ABORT)
        self.assertIs(queue.arrive("STAT", "", running, False), NOW)
        self.assertIs(queue.arrive("NOOP", "", running, False), NOW)
        self.assertIs(queue.arrive("STAT", "dir", waiting, False), QUEUED)


class ClearTests(unittest.TestCase):
    """
    L{CommandQueue.clear} forgets what waits.
    """

    def test_clear(self):
        """
        Nothing waits afterwards; the next command runs at once.
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("NOOP", "", noTransfer, False)
        queue.clear()
        self.assertEqual(len(queue), 0)
        self.assertIs(queue.arrive("NOOP", "", noTransfer, True), RUN)


class LimitTests(unittest.TestCase):
    """
    L{CommandQueue.overflowed} and L{CommandQueue.drained}: reading pauses
    at the limit and resumes at half of it.
    """

    def fill(self, queue, count, argument=""):
        """
        Queue C{count} commands behind a running one.
        """
        for _ in range(count):
            queue.arrive("SIZE", argument, noTransfer, False)

    def test_underLimit(self):
        """
        Below the limit nothing pauses.
        """
        queue = CommandQueue(4, 1000)
        self.fill(queue, 3)
        self.assertFalse(queue.overflowed())
        self.assertFalse(queue.full)

    def test_atCommandLimit(self):
        """
        At C{maxCommands} waiting, reading pauses, once.
        """
        queue = CommandQueue(4, 1000)
        self.fill(queue, 4)
        self.assertTrue(queue.overflowed())
        self.assertTrue(queue.full)
        self.assertFalse(queue.overflowed())

    def test_atByteLimit(self):
        """
        At C{maxBytes} of arguments waiting, reading pauses, however few
        the commands.
        """
        queue = CommandQueue(64, 100)
        self.fill(queue, 2, "x" * 50)
        self.assertTrue(queue.overflowed())

    def test_emptyNeverOverflows(self):
        """
        Nothing waiting is never over the limit.
        """
        self.assertFalse(CommandQueue(4, 1000).overflowed())

    def test_fullQueues(self):
        """
        A full queue does not run a new command at once, even with
        nothing waiting or running: reading is paused until it drains.
        """
        queue = CommandQueue(4, 1000)
        self.fill(queue, 4)
        queue.overflowed()
        queue.clear()
        self.assertIs(queue.arrive("NOOP", "", noTransfer, True), QUEUED)

    def test_drainedAtHalf(self):
        """
        Reading resumes once the commands waiting are down to half the
        limit, not before.
        """
        queue = CommandQueue(4, 1000)
        self.fill(queue, 4)
        queue.overflowed()
        queue.next()
        self.assertFalse(queue.drained())
        queue.next()
        self.assertFalse(queue.drained())
        queue.next()
        self.assertTrue(queue.drained())
        self.assertFalse(queue.full)
        self.assertFalse(queue.drained())

    def test_drainedBytesAtHalf(self):
        """
        With the byte limit reached, reading resumes once the arguments
        waiting are under half of it.
        """
        queue = CommandQueue(64, 100)
        self.fill(queue, 4, "x" * 25)
        queue.overflowed()
        queue.next()
        queue.next()
        self.assertFalse(queue.drained())
        queue.next()
        self.assertTrue(queue.drained())

    def test_notFullNotDrained(self):
        """
        A queue that never filled has nothing to resume.
        """
        queue = CommandQueue(4, 1000)
        self.assertFalse(queue.drained())


class AbortAnswerTests(unittest.TestCase):
    """
    L{CommandQueue.answersAbort}: an C{ABOR} that ended a transfer on
    arrival replies C{226} in its turn; any other replies C{225}.
    """

    def test_endedAnswers(self):
        """
        Each C{ABOR} taken with C{ended} answers once.
        """
        queue = CommandQueue(8, 1000)
        queue.take("ABOR", "", False, ended=True)
        queue.take("ABOR", "", False, ended=True)
        self.assertEqual(
            [queue.answersAbort(), queue.answersAbort(),
             queue.answersAbort()], [True, True, False])

    def test_endedRunsNow(self):
        """
        An C{ABOR} that ended a transfer on arrival runs now when nothing
        waits or runs (the transfer's command ended at once), and still
        answers.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.take("ABOR", "", True, ended=True), RUN)
        self.assertTrue(queue.answersAbort())

    def test_plainDoesNotAnswer(self):
        """
        An C{ABOR} with no transfer underway is not one to answer.
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("ABOR", "", noTransfer, False)
        self.assertFalse(queue.answersAbort())

    def test_abortingDoesNotAnswer(self):
        """
        An C{ABOR} coming while an aborted transfer's end is under way (a
        TLS data connection closing) waits its turn like any command and
        is not one to answer: C{225}, as in clear, where the transfer had
        ended when it came (it got C{226}); C{STAT} and C{NOOP} still act
        on the transfer as while it ran.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("ABOR", "", aborting, False), QUEUED)
        self.assertEqual((queue.next(), queue.answersAbort()),
                         (("ABOR", ""), False))
        self.assertIs(queue.arrive("STAT", "", aborting, False), NOW)
        self.assertIs(queue.arrive("NOOP", "", aborting, False), NOW)

    def test_clearedDoNotAnswer(self):
        """
        Once the waiting commands are forgotten (the session closes,
        C{AUTH TLS}), the C{ABOR}s among them are not answered.
        """
        queue = CommandQueue(8, 1000)
        queue.take("ABOR", "", False, ended=True)
        queue.clear()
        self.assertFalse(queue.answersAbort())

    def test_stoppedStillAnswer(self):
        """
        Once the server stops taking commands, the C{ABOR}s waiting still
        run, and one that ended a transfer on arrival answers: the others
        waiting are forgotten (an C{ABOR} that waited for an upload's
        commit when C{SIGTERM} came got no reply).
        """
        queue = CommandQueue(8, 1000)
        queue.take("NOOP", "", False)
        queue.take("ABOR", "", False, ended=True)
        queue.take("PWD", "", False)
        queue.take("ABOR", "", False)
        queue.stop()
        self.assertEqual([queue.next(), queue.next(), queue.next()],
                         [("ABOR", ""), ("ABOR", ""), None])
        self.assertFalse(queue.abortedBeforeTurn())
        self.assertEqual([queue.answersAbort(), queue.answersAbort()],
                         [True, False])


class AbortedBeforeTurnTests(unittest.TestCase):
    """
    L{CommandQueue.abortedBeforeTurn}: the commands waiting when an
    C{ABOR} came, whose transfers are to end as soon as they start.
    """

    def test_waitingBeforeAbort(self):
        """
        Each command waiting before an C{ABOR} (taken whether or not it
        ended a transfer on arrival) is one; the C{ABOR} itself and what
        came after it are not.
        """
        for ended in False, True:
            queue = CommandQueue(8, 1000)
            queue.arrive("PASV", "", noTransfer, False)
            queue.arrive("RETR", "a", noTransfer, False)
            queue.take("ABOR", "", False, ended=ended)
            queue.arrive("RETR", "b", noTransfer, False)
            seen = []
            while (command := queue.next()) is not None:
                seen.append((command[0], queue.abortedBeforeTurn()))
            self.assertEqual(seen, [("PASV", True), ("RETR", True),
                                    ("ABOR", False), ("RETR", False)])

    def test_laterAbortCoversAll(self):
        """
        A second C{ABOR} covers everything waiting before it, the first
        C{ABOR} and the commands between them included.
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("RETR", "a", noTransfer, False)
        queue.take("ABOR", "", False)
        queue.arrive("RETR", "b", noTransfer, False)
        queue.take("ABOR", "", False)
        seen = []
        while queue.next() is not None:
            seen.append(queue.abortedBeforeTurn())
        self.assertEqual(seen, [True, True, True, False])

    def test_noAbort(self):
        """
        Without an C{ABOR}, no command is.
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("RETR", "a", noTransfer, False)
        queue.next()
        self.assertFalse(queue.abortedBeforeTurn())
        self.assertIsNone(queue.next())
        self.assertFalse(queue.abortedBeforeTurn())

    def test_clearedForget(self):
        """
        Commands queued after L{CommandQueue.clear} (C{AUTH TLS}) are not,
        whatever an C{ABOR} forgotten with the rest covered.
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("RETR", "a", noTransfer, False)
        queue.arrive("RETR", "b", noTransfer, False)
        queue.take("ABOR", "", False)
        queue.clear()
        queue.arrive("RETR", "c", noTransfer, False)
        queue.next()
        self.assertFalse(queue.abortedBeforeTurn())


class QuitWaitingTests(unittest.TestCase):
    """
    L{CommandQueue.quitWaiting} tells whether a C{QUIT} waits its turn.
    """

    def test_quitBehindTransfer(self):
        """
        A C{QUIT} sent during a transfer waits, behind any command sent
        before it, until it runs.
        """
        queue = CommandQueue(8, 1000)
        self.assertFalse(queue.quitWaiting())
        queue.arrive("NOOP", "", noTransfer, False)
        self.assertFalse(queue.quitWaiting())
        queue.arrive("QUIT", "", running, False)
        self.assertTrue(queue.quitWaiting())
        queue.next()
        self.assertTrue(queue.quitWaiting())
        queue.next()
        self.assertFalse(queue.quitWaiting())

    def test_quitRunNow(self):
        """
        A C{QUIT} run at once, or forgotten, does not wait.
        """
        queue = CommandQueue(8, 1000)
        self.assertIs(queue.arrive("QUIT", "", noTransfer, True), RUN)
        self.assertFalse(queue.quitWaiting())
        queue.arrive("QUIT", "", noTransfer, False)
        queue.clear()
        self.assertFalse(queue.quitWaiting())

    def test_afterQuitDropped(self):
        """
        Every command arriving after a C{QUIT} that waits is dropped, an
        C{ABOR} during the transfer too: it cut the transfer the C{QUIT}
        let finish (its client read C{426}, then C{221}, and no reply to
        the C{ABOR}).
        """
        queue = CommandQueue(8, 1000)
        queue.arrive("QUIT", "", running, False)
        for verb in ("ABOR", "STAT", "NOOP", "DELE"):
            self.assertIs(queue.arrive(verb, "", running, False), DROP)
        self.assertEqual(queue.next(), ("QUIT", ""))

    def test_keepLeftWithinLimits(self):
        """
        Commands a client left behind join the queue after those waiting,
        until the queue's limits: its count, or its arguments' bytes.
        """
        queue = CommandQueue(3, 1000)
        queue.arrive("NOOP", "", noTransfer, False)
        self.assertTrue(queue.keepLeft("MKD", "a"))
        self.assertTrue(queue.keepLeft("MKD", "b"))
        self.assertFalse(queue.keepLeft("MKD", "c"))
        queue.keepQuit()
        self.assertEqual([queue.next() for _ in range(4)],
                         [("NOOP", ""), ("MKD", "a"), ("MKD", "b"),
                          ("QUIT", "")])
        queue = CommandQueue(100, 10)
        self.assertTrue(queue.keepLeft("MKD", "x" * 10))
        self.assertFalse(queue.keepLeft("MKD", "y"))

    def test_keepLeftPassesNoop(self):
        """
        A C{NOOP} left behind is passed over: it takes no room.
        """
        queue = CommandQueue(1, 1000)
        for _ in range(3):
            self.assertTrue(queue.keepLeft("NOOP", ""))
        self.assertTrue(queue.keepLeft("MKD", "a"))
        self.assertEqual((len(queue), queue.next()), (1, ("MKD", "a")))


class HeldListTests(unittest.TestCase):
    """
    A queue makes its list for the first command that waits in it: a
    session whose commands each run as they arrive (an idle one, the
    kind a server holds by the thousand) holds none.
    """

    def test_noneUntilWaiting(self):
        """
        A queue whose commands ran at once holds no list; one that had a
        command wait holds its list, which keeps working once emptied.
        """
        queue = CommandQueue(10, 1000)
        self.assertEqual(queue.arrive("NOOP", "", noTransfer, True), RUN)
        self.assertNotIsInstance(queue._waiting, list)
        self.assertEqual(queue.arrive("PWD", "", noTransfer, False), QUEUED)
        self.assertEqual(queue._waiting, [("PWD", "")])
        self.assertEqual(queue.next(), ("PWD", ""))
        queue.clear()
        self.assertEqual(queue.arrive("CWD", "d", noTransfer, False), QUEUED)
        self.assertEqual((len(queue), queue.next()), (1, ("CWD", "d")))

    def test_stopKeepsQuitWithoutList(self):
        """
        A stop with nothing waiting makes no list; a C{QUIT} kept for a
        hung-up client makes one.
        """
        queue = CommandQueue(10, 1000)
        queue.stop()
        queue.clear()
        self.assertNotIsInstance(queue._waiting, list)
        queue.keepQuit()
        self.assertTrue(queue.quitWaiting())
