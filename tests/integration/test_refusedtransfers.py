"""
A transfer or listing command refused before its transfer began is no
transfer: no transfer event (so no transfer log line, no C{--xferlog}
line, no C{ftpkit_transfers_total}), only the refusal it is (a
C{refusal} event for a C{550}, nothing for the others), as wu-ftpd,
ProFTPD and vsftpd log only transfers that started. A bare C{RETR}
(C{501}) logged a transfer lasting the Unix time, and an incomplete
C{--xferlog} line.
"""

import ftplib
import os
import urllib.request

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.control.handlers import unique
from ftpkit.ops import events
from ftpkit.ops.metrics import ServerMetrics
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import (
    OneShellRealm,
    connect,
    makeFactory,
    replyCodes,
)
from tests.protocol.test_abortopening import SlowShell
from tests.serverprocess import startServer

ALICE = b"USER alice\r\nPASS secret\r\nTYPE I\r\n"
ANONYMOUS = b"USER anonymous\r\nPASS x\r\nTYPE I\r\n"

VERBS = ("RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD")

REFUSALS = [
    # Before login.
    *[(b"", verb + " /top.bin", "530") for verb in VERBS],
    # Syntax (wget -r of an empty directory sends "RETR ").
    *[(ALICE, verb + tail, "501") for verb in ("RETR", "STOR", "APPE")
      for tail in ("", " ")],
    (ALICE, "MLSD /top.bin", "501"),
    # Permission, and what is not there.
    *[(ANONYMOUS, verb + " /new", "550") for verb in ("STOR", "APPE", "STOU")],
    *[(ALICE, verb + " /nonexist", "550")
      for verb in ("RETR", "LIST", "NLST", "MLSD")],
    # No data connection set up.
    *[(ALICE, verb + " /top.bin", "425") for verb in VERBS if verb != "MLSD"],
    (ALICE, "STOU", "425"),
    (ALICE, "MLSD /", "425"),
    # Bad sequence.
    *[(ALICE + b"REST 5\r\n", verb + " /top.bin", "503")
      for verb in ("APPE", "STOU")],
]
"""C{(login, command, code)}: each way a transfer command is refused
before its transfer: what the session sends first, the command, and the
reply it gets."""


def observedFactory(testCase, clock, shell=None):
    """
    @param testCase: the running test (for C{mktemp}).
    @param clock: the factory's reactor.
    @param shell: the shell alice gets, or C{None} for the memory one of
        L{makeFactory}.
    @return: C{(factory, published, registry, path)}: a factory writing
        the C{--xferlog} file C{path}, the transfers, listings and
        refusals it publishes (a list, filled as they come), its metrics.
    """
    path = testCase.mktemp()
    factory = makeFactory(clock, xferlog=path)
    if shell is not None:
        factory.portal.realm = OneShellRealm(shell)
    registry = CollectorRegistry()
    ServerMetrics(registry).subscribeTo(factory.events)
    published = []
    factory.events.subscribe(
        published.append, [events.TRANSFER, events.LISTING, events.REFUSAL])
    return factory, published, registry, path


def assertNoneCounted(testCase, registry, path):
    """
    No transfer was counted in C{ftpkit_transfers_total} nor written to
    the C{--xferlog} file.

    @param testCase: the running test.
    @param registry: the metrics (L{observedFactory}).
    @param path: the C{--xferlog} file.
    """
    for verb in VERBS:
        for result in ("success", "failure"):
            testCase.assertIn(registry.get_sample_value(
                "ftpkit_transfers_total",
                {"command": verb, "result": result}), (None, 0.0))
    testCase.assertFalse(os.path.exists(path) and os.path.getsize(path))


class RefusedOnSessionTests(unittest.TestCase):
    """
    Sessions on in-memory transports, with a clock long past 0 (a
    refused command's transfer lasted from 0, or from the previous
    command's start).
    """

    def test_noTransfer(self):
        """
        Each refusal of L{REFUSALS} publishes no transfer or listing, is
        counted in no C{ftpkit_transfers_total}, writes no C{--xferlog}
        line; the C{550}s are refusals, each one event.
        """
        clock = MemoryReactorClock()
        clock.advance(1796621301.75)
        factory, published, registry, path = observedFactory(self, clock)
        for login, command, code in REFUSALS:
            protocol, transport = connect(factory)
            protocol.dataReceived(login)
            clock.advance(5)
            transport.clear()
            protocol.dataReceived(command.encode("ascii") + b"\r\n")
            clock.advance(0)
            self.assertEqual(replyCodes(transport), [code], command)
            protocol.connectionLost(None)
        self.assertEqual(
            [(event.kind, event.command, event.code) for event in published],
            [(events.REFUSAL, command.split()[0], 550)
             for _, command, code in REFUSALS if code == "550"])
        assertNoneCounted(self, registry, path)

    def test_startedStillTransfer(self):
        """
        A transfer that began and failed before its data connection was
        ready (cut by C{ABOR} while it waited) is still one failed
        transfer, lasting from its command, after a refused one.
        """
        clock = MemoryReactorClock()
        clock.advance(1000)
        factory = makeFactory(clock)
        published = []
        factory.events.subscribe(published.append, [events.TRANSFER])
        protocol, transport = connect(factory)
        protocol.dataReceived(ALICE + b"RETR\r\nPASV\r\n")
        clock.advance(3)
        protocol.dataReceived(b"RETR /top.bin\r\n")
        clock.advance(7)
        protocol.dataReceived(b"ABOR\r\n")
        self.assertEqual(replyCodes(transport)[-4:],
                         ["501", "227", "425", "226"])
        [event] = published
        self.assertEqual((event.command, event.code, event.beforeData,
                          event.seconds), ("RETR", 425, True, 7))


class AbortCameFirstTests(unittest.TestCase):
    """
    A transfer command the client's C{ABOR} came before is no transfer
    either: sent in one write with it, waiting its turn behind another
    when it came, or still opening its file. Each was a failed transfer
    (a log line, an C{--xferlog} line, an C{ftpkit_transfers_total}
    failure) though it never began. One the C{ABOR} came after, while it
    waited for its data connection, stays one
    (L{RefusedOnSessionTests.test_startedStillTransfer}).
    """

    def session(self, shell=None):
        """
        @param shell: the shell alice gets, or C{None} for the memory one
            of L{makeFactory}.
        @return: C{(protocol, transport, published, registry, path)}: a
            session logged in as alice in C{TYPE I}, the transfers,
            listings and refusals published, the metrics, the
            C{--xferlog} file.
        """
        factory, published, registry, path = observedFactory(
            self, MemoryReactorClock(), shell)
        protocol, transport = connect(factory)
        protocol.dataReceived(ALICE)
        return protocol, transport, published, registry, path

    def assertNoTransfer(self, published, registry, path):
        """
        Nothing was published, counted or written to the C{--xferlog}.
        """
        self.assertEqual(published, [])
        assertNoneCounted(self, registry, path)

    def test_oneWrite(self):
        """
        C{RETR}, C{STOR}, C{STOU} or C{LIST} and C{ABOR} in one write,
        after C{PASV}: C{425} and C{226}, and no transfer.
        """
        for command in (b"RETR /top.bin", b"STOR /new", b"STOU", b"LIST"):
            protocol, transport, published, registry, path = self.session()
            protocol.dataReceived(b"PASV\r\n")
            transport.clear()
            protocol.dataReceived(command + b"\r\nABOR\r\n")
            self.assertEqual(replyCodes(transport), ["425", "226"], command)
            self.assertNoTransfer(published, registry, path)
            protocol.connectionLost(None)

    def test_appendOneWrite(self):
        """
        C{APPE} of a new name and C{ABOR} in one write, after C{PASV}:
        C{426} and C{226}, no transfer, and no file: its open, before the
        C{ABOR} was read, made the file, left empty (session 52).
        """
        shell = MemoryShell({"/top.bin": b"x" * 10})
        protocol, transport, published, registry, path = self.session(shell)
        protocol.dataReceived(b"PASV\r\n")
        transport.clear()
        protocol.dataReceived(b"APPE /new\r\nABOR\r\nNOOP\r\n")
        self.assertEqual(replyCodes(transport), ["426", "226", "200"])
        self.assertNoTransfer(published, registry, path)
        self.assertEqual(self.successResultOf(shell.listNames(())),
                         ["top.bin"])
        protocol.connectionLost(None)

    def test_beforeItsTurn(self):
        """
        A C{RETR} waiting its turn behind one that waits for its data
        connection when C{ABOR} comes: the first, which began, is a
        failed transfer (C{425}); the second (C{426}) is none.
        """
        protocol, transport, published, registry, path = self.session()
        protocol.dataReceived(b"PASV\r\n")
        protocol.dataReceived(b"RETR /top.bin\r\n")
        transport.clear()
        protocol.dataReceived(b"RETR /d/f.txt\r\nABOR\r\n")
        self.assertEqual(replyCodes(transport), ["425", "426", "226"])
        self.assertEqual(
            [(event.kind, event.command, event.path, event.code)
             for event in published],
            [(events.TRANSFER, "RETR", "/top.bin", 425)])
        self.assertEqual(registry.get_sample_value(
            "ftpkit_transfers_total",
            {"command": "RETR", "result": "failure"}), 1)
        with open(path) as f:
            [line] = f.read().splitlines()
        self.assertIn(" /top.bin ", line)

    def test_whileOpening(self):
        """
        A C{RETR} whose file is still being opened when C{ABOR} comes, in
        a later read: C{426}, and no transfer.
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, ["openForReading"])
        protocol, transport, published, registry, path = self.session(shell)
        protocol.dataReceived(b"PASV\r\nRETR f.txt\r\n")
        transport.clear()
        protocol.dataReceived(b"ABOR\r\n")
        self.assertEqual(replyCodes(transport), ["426", "226"])
        shell.answer()
        self.assertNoTransfer(published, registry, path)
        protocol.connectionLost(None)

    def test_noUniqueName(self):
        """
        C{STOU} with every name it may try taken: C{450}, a refusal, no
        transfer.
        """
        self.patch(unique, "STOU_ATTEMPTS", 1)
        self.patch(unique, "RANDOM_ATTEMPTS", 0)
        protocol, transport, published, registry, path = self.session()
        protocol.dataReceived(b"PASV\r\n")
        transport.clear()
        protocol.dataReceived(b"STOU /top.bin\r\n")
        self.assertEqual(replyCodes(transport), ["450"])
        self.assertEqual(
            [(event.kind, event.command, event.path, event.code)
             for event in published],
            [(events.REFUSAL, "STOU", "/top.bin", 450)])
        published.clear()
        self.assertNoTransfer(published, registry, path)
        protocol.connectionLost(None)


class RefusedOnServerTests(unittest.TestCase):
    """
    A real server with C{--xferlog} and C{--metrics}.
    """

    def test_noTransfer(self):
        """
        C{RETR} before login, and bare C{RETR}, C{STOR}, C{APPE} and a
        C{STOU} with no data connection after it: the transfer log has
        only the download that followed them, and the metrics count only
        it.
        """
        path = os.path.abspath(self.mktemp())
        server, root = startServer(self, "--xferlog", path, metrics=True)
        with open(os.path.join(root, "a.bin"), "wb") as f:
            f.write(b"a" * 100)
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", server.port, timeout=30)
        self.addCleanup(ftp.close)
        codes = [self.reply(ftp, "RETR x")]
        ftp.login("alice", "secret")
        codes += [self.reply(ftp, command)
                  for command in ("RETR ", "STOR", "APPE", "STOU")]
        self.assertEqual(codes, ["530", "501", "501", "501", "425"])
        ftp.retrbinary("RETR a.bin", lambda data: None)
        ftp.quit()

        def logged():
            with open(path) as f:
                return f.read().endswith("\n")

        server.waitFor(logged, "the download's transfer log line")
        with open(path) as f:
            lines = f.read().splitlines()
        self.assertEqual([line.split()[8:] for line in lines],
                         [["/a.bin", "b", "_", "o", "r", "alice", "ftp",
                           "0", "alice", "c"]])
        with urllib.request.urlopen(server.metricsURL(), timeout=30) as r:
            text = r.read().decode("utf-8")
        counted = {
            (sample.labels["command"], sample.labels["result"]): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "ftpkit_transfers_total" and sample.value}
        self.assertEqual(counted, {("RETR", "success"): 1.0})

    def test_appendMakesNothing(self):
        """
        An C{APPE} of a new name with no data connection set up
        (C{425}) makes no file: its open, before that refusal, made the
        file, left empty (tester52d).
        """
        server, root = startServer(self)
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", server.port, timeout=30)
        self.addCleanup(ftp.close)
        ftp.login("alice", "secret")
        self.assertEqual(self.reply(ftp, "APPE new.txt"), "425")
        ftp.quit()
        self.assertEqual(sorted(os.listdir(root)), [])

    def reply(self, ftp, command):
        """
        @param ftp: a connected L{ftplib.FTP}.
        @param command: a command to send.
        @return: the code of its reply, whatever it is.
        """
        ftp.putcmd(command)
        return ftp.getmultiline()[:3]
