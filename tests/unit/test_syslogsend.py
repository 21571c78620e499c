"""
Tests for L{ftpkit.ops.syslogsend} and L{ftpkit.ops.syslogtext}: syslog
messages sent without waiting for the syslog daemon.
"""

import os
import socket
import syslog
import time

from twisted.internet.task import Clock
from twisted.python import log
from twisted.trial import unittest

from ftpkit.ops.syslogjson import JSONSyslogObserver
from ftpkit.ops.syslogsend import (
    RETRY_INTERVAL,
    SyslogSender,
    finishAtShutdown,
    frame,
)
from ftpkit.ops.syslogtext import TextSyslogObserver, describeText
from tests.scratch import shortDirectory
from tests.syslogreceivers import received, receiver


class FrameTests(unittest.TestCase):
    """
    L{frame}: the C library's framing.
    """

    def test_asGlibc(self):
        """
        C{<PRI>Mmm dd hh:mm:ss IDENT: TEXT}, the day padded with a space,
        the local time, the facility added to a priority of none, the
        text in UTF-8 (what glibc's C{syslog(3)} sends through Python's
        C{syslog} module).
        """
        when = time.mktime((2026, 12, 7, 16, 9, 55, 0, 0, -1))
        self.assertEqual(
            frame(syslog.LOG_WARNING, syslog.LOG_USER, "ftpd", "h\xe9 [x]",
                  when),
            b"<12>Dec  7 16:09:55 ftpd: h\xc3\xa9 [x]")
        self.assertEqual(
            frame(syslog.LOG_LOCAL0 | syslog.LOG_ERR, syslog.LOG_USER, "f",
                  "t", when)[:5], b"<131>")


class ThreadsClock(Clock):
    """
    A L{Clock} that runs what is called from a thread at once.
    """

    def callFromThread(self, function, *args):
        function(*args)


class SenderTests(unittest.TestCase):
    """
    L{SyslogSender}.
    """

    def sender(self, path):
        self.clock = ThreadsClock()
        self.complaints = []
        return SyslogSender("ftpd", syslog.LOG_USER, describeText, path,
                            reactor=self.clock,
                            complain=self.complaints.append)

    def stall(self):
        """
        @return: C{(sock, sender)}: a sender that dropped messages, the
            daemon's socket full of those it took.
        """
        sock, path = receiver(self)
        sender = self.sender(path)
        while not sender.dropped:
            sender(syslog.LOG_INFO, "message")
        return sock, sender

    def test_idleCatchUp(self):
        """
        Once the daemon has room again, what is owed (where the dropping
        started, how many were dropped) is sent without a next message;
        then no try is left.
        """
        sock, sender = self.stall()
        sender(syslog.LOG_INFO, "dropped")
        self.clock.advance(RETRY_INTERVAL)
        self.assertEqual(sender.dropped, 2)
        received(sock)
        self.clock.advance(RETRY_INTERVAL)
        stalled, resumed = received(sock)
        self.assertIn(b"takes no more messages", stalled)
        self.assertIn(b"caught up: 2 line(s) dropped", resumed)
        self.assertEqual(sender.dropped, 0)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_noTryOwingNothing(self):
        """
        A sender whose daemon takes every message makes no tries.
        """
        sock, path = receiver(self)
        sender = self.sender(path)
        sender(syslog.LOG_INFO, "one")
        self.assertEqual(len(received(sock)), 1)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_oneTryAtATime(self):
        """
        However many messages are dropped, one try waits at a time.
        """
        sock, sender = self.stall()
        for _number in range(50):
            sender(syslog.LOG_INFO, "dropped")
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)

    def test_neverWaits(self):
        """
        A daemon that reads nothing never makes the sender wait: what it
        has no room for is dropped and counted; once it reads, one message
        says where the dropping started and one how many were dropped,
        before the next message.
        """
        sock, path = receiver(self)
        sender = self.sender(path)
        for number in range(300):
            sender(syslog.LOG_INFO, f"message {number}")
        taken = received(sock)
        self.assertEqual(len(taken) + sender.dropped, 300)
        self.assertTrue(sender.dropped)
        dropped = sender.dropped
        sender(syslog.LOG_INFO, "after")
        stalled, resumed, after = received(sock)
        self.assertIn(b"<12>", stalled[:4])
        self.assertIn(f"syslog at {path} takes no more".encode(), stalled)
        self.assertIn(f"caught up: {dropped} line(s) dropped".encode(),
                      resumed)
        self.assertTrue(after.endswith(b" ftpd: after"))
        self.assertEqual(sender.dropped, 0)

    def test_nobodyListens(self):
        """
        Where nothing listens, a message is lost without a word; the next
        one connects, once a daemon listens.
        """
        path = os.path.join(shortDirectory(self), "log")
        sender = self.sender(path)
        sender(syslog.LOG_INFO, "lost")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(path)
        sender(syslog.LOG_INFO, "kept")
        self.assertTrue(sock.recv(4096).endswith(b"ftpd: kept"))
        self.assertEqual(sender.dropped, 0)

    def test_daemonRestarts(self):
        """
        A daemon that restarted (its socket made again) gets the next
        message: the sender connects again.
        """
        sock, path = receiver(self)
        sender = self.sender(path)
        sender(syslog.LOG_INFO, "one")
        sock.close()
        os.unlink(path)
        again = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(again.close)
        again.bind(path)
        sender(syslog.LOG_INFO, "two")
        self.assertTrue(again.recv(4096).endswith(b"ftpd: two"))


class FinishTests(unittest.TestCase):
    """
    L{SyslogSender.finish}: as the process stops, what is owed is sent,
    or the messages it counts are counted on standard error; they were
    lost without a word.
    """

    sender = SenderTests.sender
    stall = SenderTests.stall

    def lostLine(self, count, path):
        """
        @return: the line on standard error counting C{count} messages
            lost, sent to C{path}.
        """
        return (f"ftpkit: syslog at {path} takes no more messages as the "
                f"process stops: {count} message(s) lost\n").encode()

    def test_counted(self):
        """
        A daemon that takes nothing more: the messages dropped are counted
        on standard error.
        """
        sock, sender = self.stall()
        sender(syslog.LOG_INFO, "dropped")
        sender.finish(wait=0)
        self.assertEqual(self.complaints, [self.lostLine(2, sender.path)])
        self.assertEqual(sender.dropped, 0)

    def test_sent(self):
        """
        A daemon with room: where the dropping started and how many were
        dropped are sent, and nothing is said on standard error.
        """
        sock, sender = self.stall()
        received(sock)
        sender.finish(wait=0)
        stalled, resumed = received(sock)
        self.assertIn(b"takes no more messages", stalled)
        self.assertIn(b"caught up: 1 line(s) dropped", resumed)
        self.assertEqual(self.complaints, [])

    def test_countNotTaken(self):
        """
        A daemon with room for the first message owed only: the count it
        did not take is counted.
        """
        sock, sender = self.stall()
        sender(syslog.LOG_INFO, "dropped")
        sender(syslog.LOG_INFO, "dropped")
        sock.recv(65536)
        sender.finish(wait=0)
        self.assertEqual(self.complaints, [self.lostLine(3, sender.path)])

    def test_atShutdown(self):
        """
        L{finishAtShutdown} has the sender finished once the reactor has
        stopped.
        """
        triggers = []

        class Reactor:
            def addSystemEventTrigger(self, *trigger):
                triggers.append(trigger)

        sender = self.sender(os.path.join(shortDirectory(self), "log"))
        self.assertIs(finishAtShutdown(sender, Reactor()), sender)
        self.assertEqual(triggers, [("after", "shutdown", sender.finish)])


class ObserverTests(unittest.TestCase):
    """
    The observers of C{--syslog} send through a L{SyslogSender}.
    """

    def test_text(self):
        """
        L{TextSyslogObserver} sends what C{twistd}'s syslog observer
        sends: a message per line, the system first, C{LOG_ALERT} for an
        error, the facility C{LOG_USER}.
        """
        sock, path = receiver(self)
        observer = TextSyslogObserver("ftpd", path)
        observer.emit({"message": ("a\nb",), "isError": 1,
                       "system": "sys"})
        first, second = received(sock)
        self.assertTrue(first.startswith(b"<9>"))
        self.assertTrue(first.endswith(b" ftpd: [sys] a"))
        self.assertTrue(second.endswith(b" ftpd: [sys] \tb"))

    def test_jsonDefault(self):
        """
        L{JSONSyslogObserver} given no C{send} sends through a
        L{SyslogSender} of its prefix.
        """
        sock, path = receiver(self)
        observer = JSONSyslogObserver("ftpd", path=path)
        self.assertIsInstance(observer.send, SyslogSender)
        observer({"log_format": "hi", "log_namespace": "n",
                  "log_time": 1.0})
        [message] = received(sock)
        self.assertTrue(message.startswith(b"<14>"))
        self.assertIn(b" ftpd: {", message)

    def test_legacyObserver(self):
        """
        L{TextSyslogObserver.emit} is a legacy observer: what
        C{twisted.python.log.msg} sends it arrives.
        """
        sock, path = receiver(self)
        observer = TextSyslogObserver("ftpd", path)
        log.addObserver(observer.emit)
        self.addCleanup(log.removeObserver, observer.emit)
        log.msg("legacy")
        self.assertTrue(any(m.endswith(b"legacy") for m in received(sock)))


class StreamTests(unittest.TestCase):
    """
    A daemon listening on a stream socket (C{unix-stream}).
    """

    def test_stream(self):
        """
        Each message ends with a C{NUL}, as the C library sends it; one
        the daemon has no room for never makes the sender wait, and no
        message is cut: what was sent in part is sent first.
        """
        path = os.path.join(shortDirectory(self), "log")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(path)
        listener.listen(1)
        sender = SyslogSender("ftpd", syslog.LOG_USER, describeText, path,
                              reactor=ThreadsClock())
        for number in range(20000):
            sender(syslog.LOG_INFO, f"message {number}")
        self.assertTrue(sender.dropped)
        daemon, _ = listener.accept()
        self.addCleanup(daemon.close)
        daemon.setblocking(False)
        data = b""
        for _again in range(100):
            sender(syslog.LOG_INFO, "after")
            try:
                while True:
                    data += daemon.recv(1 << 20)
            except BlockingIOError:
                pass
            if b"dropped meanwhile" in data:
                break
        messages = data.split(b"\0")
        self.assertEqual(messages.pop(), b"")
        self.assertTrue(all(message.startswith(b"<") for message in messages))
        self.assertIn(b"line(s) dropped meanwhile", data)
