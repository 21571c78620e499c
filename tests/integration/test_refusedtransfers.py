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

from ftpkit.ops import events
from ftpkit.ops.metrics import ServerMetrics
from tests.memorysessions import connect, makeFactory, replyCodes
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
        path = self.mktemp()
        factory = makeFactory(clock, xferlog=path)
        registry = CollectorRegistry()
        ServerMetrics(registry).subscribeTo(factory.events)
        published = []
        factory.events.subscribe(
            published.append,
            [events.TRANSFER, events.LISTING, events.REFUSAL])
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
        for verb in VERBS:
            for result in ("success", "failure"):
                self.assertIn(registry.get_sample_value(
                    "ftpkit_transfers_total",
                    {"command": verb, "result": result}), (None, 0.0))
        self.assertFalse(os.path.exists(path) and os.path.getsize(path))

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

    def reply(self, ftp, command):
        """
        @param ftp: a connected L{ftplib.FTP}.
        @param command: a command to send.
        @return: the code of its reply, whatever it is.
        """
        ftp.putcmd(command)
        return ftp.getmultiline()[:3]
