"""
Attacks on the filesystem jail and the login gate over real loopback
sockets, with a raw client that sends exactly the bytes given: every way
of naming something outside the root fails, nothing outside changes or is
revealed, and nothing but the login commands works before login.
"""

import hashlib
import os
import zlib

from twisted.internet import defer
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.commandtable import COMMANDS
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.treestate import snapshot

SECRET = b"TOPSECRET outside the root"




ESCAPES = [
    "..", "../outside", "/../outside", "/../../outside/secret.txt",
    "../outside/secret.txt", "escape", "escape/secret.txt",
    "escape/../escape/secret.txt", "link.txt", "inside/../escape",
    "\\..\\outside", "..\\outside\\secret.txt", "%2e%2e/outside",
    "%2e%2e%2foutside", "....//outside", ".../outside",
    "/./../outside", "//../outside", "escape/", "escape/.",
    "\u2025/outside", "\uff0e\uff0e/outside",
]
"""Ways of naming what is outside the root (ASCII and look-alikes)."""

RAW_ESCAPES = [
    b"\xc0\xae\xc0\xae/outside", b"\xe0\x80\xae\xe0\x80\xae/outside",
    b"..\xc0\xafoutside", b"escape\x00", b"../outside\x00.txt",
    b"\xed\xa0\x80/../outside",
]
"""Overlong and invalid UTF-8, and NUL bytes."""

COMMANDS_ON_PATHS = [
    "CWD {}", "XCWD {}", "SIZE {}", "MDTM {}", "MLST {}", "STAT {}",
    "DELE {}", "RMD {}", "MKD {}/new", "XMKD {}/new",
    "SITE CHMOD 777 {}", "HASH {}", "MFMT 20200101000000 {}",
    "RNFR {}", "SITE UTIME 200402240836 {}", "XMD5 {}", 'XSHA256 "{}" 0 1',
    "XCRC {}/secret.txt", "AVBL {}",
]


class JailTests(LoopbackServerMixin, unittest.TestCase):
    """
    A root next to a secret directory, with links inside pointing out.
    """

    timeout = 120

    def setUp(self):
        self.base = os.path.abspath(self.mktemp())
        self.root = os.path.join(self.base, "root")
        outside = os.path.join(self.base, "outside")
        os.makedirs(os.path.join(self.root, "inside"))
        os.makedirs(outside)
        with open(os.path.join(outside, "secret.txt"), "wb") as f:
            f.write(SECRET)
        with open(os.path.join(self.root, "public.txt"), "wb") as f:
            f.write(b"public")
        os.symlink("../outside", os.path.join(self.root, "escape"))
        os.symlink("../outside/secret.txt",
                   os.path.join(self.root, "link.txt"))
        self.before = snapshot(self.base)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, maxLoginAttempts=1000))

    def assertUnrevealed(self, seen):
        digests = [hashlib.new(name, SECRET).hexdigest().upper().encode()
                   for name in ("md5", "sha1", "sha256")]
        digests.append(b"%08X" % zlib.crc32(SECRET))
        digests += [digest.lower() for digest in digests]
        for secret in [SECRET, b"secret.txt", os.fsencode(self.base)] + digests:
            self.assertNotIn(secret, seen)

    @defer.inlineCallbacks
    def test_pathCommands(self):
        """
        Every command taking a path, given any way of naming something
        outside the root, fails or acts inside the root; nothing outside
        changes and the secret's name and contents never reach the client.
        """
        def attack():
            client = RawClient(self.server.port)
            seen = []
            try:
                client.login()
                names = [name.encode("utf-8") for name in ESCAPES]
                names += RAW_ESCAPES
                for name in names:
                    for template in COMMANDS_ON_PATHS:
                        line = template.encode().replace(b"{}", name)
                        seen.append(client.command(line))
                        if line.startswith(b"RNFR") and \
                                seen[-1].startswith(b"350"):
                            seen.append(client.command(b"RNTO stolen"))
                        seen.append(client.command(b"CWD /"))
                    for verb in (b"RETR", b"LIST", b"NLST", b"MLSD",
                                 b"LIST -la", b"NLST -R"):
                        seen.append(b"%r" % (client.transfer(
                            verb + b" " + name),))
                    for pattern in (b"/*", b"/*/*"):
                        seen.append(b"%r" % (client.transfer(
                            b"NLST " + name + pattern),))
                    seen.append(b"%r" % (client.transfer(
                        b"STOR " + name + b"/dropped.txt", b"x"),))
                return b"\n".join(seen)
            finally:
                client.close()

        seen = yield self.inThread(attack)
        self.assertUnrevealed(seen)
        after = snapshot(self.base)
        outsideBefore = {path: value for path, value in self.before.items()
                         if not path.startswith(self.root + os.sep)}
        outsideAfter = {path: value for path, value in after.items()
                        if not path.startswith(self.root + os.sep)}
        self.assertEqual(outsideAfter, outsideBefore)
        # The links are still the links they were.
        for name in ("escape", "link.txt"):
            path = os.path.join(self.root, name)
            if os.path.lexists(path):
                self.assertEqual(after[path], self.before[path])

    @defer.inlineCallbacks
    def test_linksOutListedNotFollowed(self):
        """
        A link leading out is listed as a link leading to itself, without
        its target, and cannot be read, written through or changed.
        """
        def attack():
            client = RawClient(self.server.port)
            try:
                client.login()
                listing = client.transfer(b"LIST")[1]
                facts = client.transfer(b"MLSD")[1]
                answers = [client.command(line) for line in (
                    b"SIZE link.txt", b"CWD escape", b"SITE CHMOD 777 link.txt",
                    b"MFMT 20200101000000 link.txt", b"HASH link.txt")]
                retr = client.transfer(b"RETR link.txt")[0]
                appe = client.transfer(b"APPE link.txt", b"x")[0]
                stor = client.transfer(b"STOR escape/new.txt", b"x")[0]
                return listing, facts, answers, retr, appe, stor
            finally:
                client.close()

        listing, facts, answers, retr, appe, stor = yield self.inThread(attack)
        self.assertIn(b" escape -> escape\r\n", listing)
        self.assertIn(b" link.txt -> link.txt\r\n", listing)
        self.assertNotIn(b"outside", listing + facts)
        for answer in answers + [retr, appe, stor]:
            self.assertTrue(answer.startswith(b"55"), answer)
        self.assertEqual(snapshot(self.base), self.before)


class LoginGateTests(LoopbackServerMixin, unittest.TestCase):
    """
    Before login only the commands the table marks so work.
    """

    def setUp(self):
        root = scratchDirectory(self)
        self.server = self.startServer(
            FilesystemRealm(root),
            ServerConfig(loginFailureDelay=0, maxLoginAttempts=10))
        self.logged = []

        def observer(event):
            self.logged.append(formatEvent(event))

        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)

    @defer.inlineCallbacks
    def test_everyCommandNeedsLogin(self):
        """
        Every verb that needs a login answers C{530} to a client that has
        not logged in, with and without an argument.
        """
        verbs = sorted(verb for verb, command in COMMANDS.items()
                       if command.needsLogin)

        def attack():
            client = RawClient(self.server.port)
            try:
                answers = {}
                for verb in verbs:
                    for argument in ("", " /", " 127,0,0,1,8,0"):
                        answers[verb + argument] = client.command(
                            verb + argument)[:3]
                return answers
            finally:
                client.close()

        answers = yield self.inThread(attack)
        self.assertEqual({line: code for line, code in answers.items()
                          if code != b"530"}, {})

    @defer.inlineCallbacks
    def test_forgedLogLines(self):
        """
        User names holding CR, ANSI escapes or the text of another log
        line are quoted in the log: no line starts with a forged
        C{failed login from} another address, and no raw control
        character is written.
        """
        def attack():
            client = RawClient(self.server.port)
            try:
                for user in (b"a\rfailed login from 6.6.6.6 user 'x' (1)",
                             b"\x1b[2J\x1b[31mroot",
                             b"' (1) failed login from 6.6.6.6 user 'y"):
                    client.command(b"USER " + user)
                    client.command(b"PASS wrong")
            finally:
                client.close()

        yield self.inThread(attack)
        failed = [text for text in self.logged
                  if text.startswith("failed login")]
        self.assertEqual(len(failed), 3, self.logged)
        for text in self.logged:
            self.assertFalse(text.startswith("failed login from 6.6.6.6"))
            self.assertNotIn("\x1b", text)
            self.assertNotIn("\r", text)
            self.assertNotIn("\n", text)
