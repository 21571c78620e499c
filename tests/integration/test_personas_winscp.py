"""
WinSCP (FileZilla 2's engine, with WinSCP's own file system above it)
replayed against ftpkit (see L{tests.personas}): a session, resumed
uploads and checksums, keep-alives and a late abort.
"""

import hashlib
import os
import zlib

from twisted.internet import reactor
from twisted.internet.task import Clock
from twisted.internet.threads import blockingCallFromThread
from twisted.trial import unittest

from tests.clockedreactor import ClockedReactor
from tests.personaparsers import (
    listEntries,
    winscpFeatures,
    winscpHash,
    winscpPwd,
)
from tests.personas import PersonaTestsMixin, connect
from tests.sockreads import readToEnd


class WinSCPTests(PersonaTestsMixin, unittest.TestCase):
    """
    WinSCP: FileZilla 2's engine sending the command before it connects
    the data connection, and WinSCP's own commands above it.
    """

    def test_session(self):
        """
        AUTH TLS, login, PBSZ 0, PROT P; PWD (one line, 257, quotes
        doubled); LIST -a and LIST -la (WinSCP without MLSD): ls -l lines,
        dotfiles included, a year for an old file and a time for a new
        one, names with spaces whole; then the keep-alive commands PWD,
        REST 0, TYPE A, TYPE I, and an upload over a longer file after
        them (REST 0 does not keep the old tail).
        """
        self.serve(tlsRequireSessionReuse=True)
        os.mkdir(os.path.join(self.root, 'q"d'))

        def client(wire):
            features = wire.login(protect=True)
            wire.ok('CWD q"d', 250)
            code, pwd = wire.cmd("PWD")
            wire.ok("CDUP", 250)
            wire.ok("TYPE A", 200)
            listings = [self.transfer(wire, command + " /docs",
                                      protect=True, commandFirst=True)[0]
                        for command in ("LIST -a", "LIST -la")]
            top, _ = self.transfer(wire, "LIST -a", protect=True,
                                   commandFirst=True)
            for keepAlive in ("PWD", "REST 0", "TYPE A", "TYPE I"):
                wire.cmd(keepAlive)
            _, final = self.transfer(wire, "STOR old.txt", b"n",
                                     protect=True, commandFirst=True)
            return (winscpFeatures(features), code, pwd,
                    [listEntries(listing) for listing in listings],
                    listEntries(top), final)

        def check(result):
            (commands, algorithms), code, pwd, listings, top, final = result
            self.assertTrue({"MDTM", "MFMT", "SIZE", "XSHA1", "XCRC"}
                            <= commands)
            self.assertIn("sha-1", algorithms)
            self.assertEqual((code, len(pwd), winscpPwd(pwd[0])),
                             (257, 1, '/q"d'))
            for entries in listings:
                self.assertEqual(sorted(entries), [".hidden", "a b.txt"])
                self.assertEqual(entries["a b.txt"][:2], ("-rw-r--r--", 7))
            self.assertEqual(top["old.txt"][2], "2001")
            self.assertIn(":", top["big.bin"][2])
            self.assertEqual(final[:3], "226")
            self.assertEqual(self.readFile("old.txt"), b"n")
        return self.converse(client, "explicit").addCallback(check)

    def test_resumedUploadAndChecksums(self):
        """
        WinSCP's free space (AVBL path; the reply's text a number), its
        resumed upload: TYPE I, OPTS REST STOR (anything but 4xx
        lets it resume), PASV, REST n, STOR of the rest (and APPE, its way
        where REST gets 50x); then MFMT to keep
        the local time, SITE CHMOD 644 (name unquoted), and checksums:
        OPTS HASH SHA-1 and HASH "path" (quoted when it holds a space, as
        WinSCP quotes it), XSHA1 and XCRC the same way.
        """
        self.serve()
        name = "/docs/up load.bin"

        def client(wire):
            wire.login()
            wire.ok("TYPE I", 200)
            self.transfer(wire, "STOR " + name, b"a" * 5000,
                          commandFirst=True)
            space = int(wire.ok("AVBL /docs", 213)[4:])
            restStor = wire.cmd("OPTS REST STOR")[0]
            address = wire.passive()
            wire.ok("REST 5000", 350)
            wire.send("STOR " + name)
            data = connect(address)
            wire.ok(None, 150)
            _, final = self.finish(wire, data, b"b" * 3000)
            self.transfer(wire, "APPE " + name, b"c" * 1000,
                          commandFirst=True)
            wire.ok("MFMT 20210304050607 " + name, 213)
            wire.ok("SITE CHMOD 644 " + name, 200)
            wire.ok("OPTS HASH SHA-1", 200)
            sha1 = winscpHash(wire.ok('HASH "%s"' % name, 213))
            xsha1 = wire.ok('XSHA1 "%s"' % name, 250).split(" ")[-1]
            xcrc = wire.ok('XCRC "%s"' % name, 250).split(" ")[-1]
            return space > 0, restStor, final, sha1, xsha1.lower(), \
                xcrc.lower()

        def check(result):
            content = b"a" * 5000 + b"b" * 3000 + b"c" * 1000
            space, restStor, final, sha1, xsha1, xcrc = result
            self.assertTrue(space)
            self.assertNotEqual(restStor // 100, 4)
            self.assertEqual(final[:3], "226")
            self.assertEqual(self.readFile("docs/up load.bin"), content)
            digest = hashlib.sha1(content).hexdigest()
            self.assertEqual((sha1, xsha1, xcrc),
                             (digest, digest,
                              "%08x" % zlib.crc32(content)))
            self.assertEqual(os.stat(os.path.join(
                self.root, "docs/up load.bin")).st_mtime, 1614834367)
        return self.converse(client).addCallback(check)

    def test_keepAlives(self):
        """
        The keep-alives sent while idle (WinSCP: PWD, REST 0, TYPE A,
        TYPE I; FileZilla: NOOP, TYPE, PWD) each restart the idle time;
        past it, 421 and the end of the connection, on which both
        engines reconnect. The sessions' time is a clock the client
        advances (1.5 s before each keep-alive, 7.5 s in all against an
        idle time of 2 s): a loaded machine's pauses do not count.
        """
        self.serve(idleTimeout=2.0)
        clock = Clock()
        self.server.factory.reactor = ClockedReactor(reactor, clock)

        def idle(seconds):
            blockingCallFromThread(reactor, clock.advance, seconds)

        def client(wire):
            wire.login()
            for keepAlive in ["PWD", "REST 0", "TYPE A", "TYPE I", "NOOP"]:
                idle(1.5)
                wire.cmd(keepAlive)
            alive = wire.cmd("NOOP")[0]
            idle(2.0)
            wire.sock.settimeout(30)
            return alive, wire.reply()[0], wire.file.readline()

        return self.converse(client).addCallback(
            self.assertEqual, (200, 421, b""))

    def test_lateAbort(self):
        """
        A client that cancels as the transfer completes with ABOR (the
        engines close the data connection instead, as in
        test_cancelledDownload; WinSCP's users may still type ABOR): it
        has read the data, then sends ABOR before it reads the 226. Two
        replies come, the transfer's 226 and ABOR's own 2xx, and the
        session goes on.
        """
        self.serve()

        def client(wire):
            wire.login()
            wire.ok("TYPE I", 200)
            address = wire.passive()
            wire.send("RETR old.txt")
            data = connect(address)
            wire.ok(None, 150)
            received = readToEnd(data, resetEnds=True)
            data.close()
            wire.send("ABOR")
            first, second = wire.reply()[0], wire.reply()[0]
            return received, first, second // 100, wire.cmd("NOOP")[0]

        return self.converse(client).addCallback(
            self.assertEqual, (b"old", 226, 2, 200))
