"""
Tests for C{--hide-dotfiles}, C{--no-site-chmod} and C{--umask}
(L{ftpkit.deploy.accessoptions}, enforced by L{ftpkit.protocol.access}).
"""

import ftplib
import io
import os

from twisted.internet.defer import inlineCallbacks
from twisted.internet.testing import MemoryReactorClock
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.deploy.startupwork import StartupWork
from ftpkit.errors import InvalidPath, NoSuchFile
from ftpkit.loopback import LoopbackServerMixin, makePortal
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.wrappers import HideDotfilesShell
from ftpkit.testing import readFile, writeFile
from tests.barerealm import BareRealm, bareFactory, loggedIn
from tests.ftpclient import ftplibLogin
from tests.memorysessions import replyCodes
from tests.scratch import scratchDirectory
from tests.tapoptions import parse


class OptionsTests(unittest.TestCase):
    """
    The options reach the L{ServerConfig}; bad values are one-line usage
    errors.
    """

    def test_defaults(self):
        """
        Without the options, nothing is hidden, SITE CHMOD is on and the
        mask is left alone.
        """
        config = parse()["config"]
        self.assertEqual((config.hideDotfiles, config.siteChmod, config.umask),
                         (False, True, None))

    def test_set(self):
        """
        Each option sets its field.
        """
        config = parse("--hide-dotfiles", "--no-site-chmod",
                       "--umask", "027")["config"]
        self.assertEqual((config.hideDotfiles, config.siteChmod, config.umask),
                         (True, False, 0o27))
        self.assertEqual(parse("--umask", "0")["config"].umask, 0)
        for value in ["077", "007", "070"]:
            self.assertEqual(parse("--umask", value)["config"].umask,
                             int(value, 8))

    def test_badUmask(self):
        """
        A mask that is not octal, or over 777, is refused naming
        C{--umask}.
        """
        for value in ["999", "abc", "1000", "", "-1", "0x12"]:
            e = self.assertRaises(usage.UsageError, parse, "--umask", value)
            self.assertTrue(str(e).startswith("--umask: "), str(e))
            self.assertNotIn("\n", str(e))


class UmaskTests(unittest.TestCase):
    """
    C{--umask} sets the process's file-creation mask at start.
    """

    def setUp(self):
        self.original = os.umask(0o022)
        self.addCleanup(os.umask, self.original)

    def test_startupSetsMask(self):
        """
        L{StartupWork} with a mask sets it at start; without one it leaves
        the process's alone.
        """
        StartupWork(None).privilegedStartService()
        self.assertEqual(os.umask(0o022), 0o022)
        StartupWork(0o077).privilegedStartService()
        self.assertEqual(os.umask(0o022), 0o077)

    def test_uploadsFollowMask(self):
        """
        A file and a directory a user makes through the filesystem shell
        get the modes the mask leaves.
        """
        return self.assertModes(0o027, 0o640, 0o750)

    def test_groupWritable(self):
        """
        A mask that leaves the group's write bit (C{--umask 002}) makes
        group-writable files as well as directories: uploads were made
        with C{0o644} before the mask, so only directories were.
        """
        return self.assertModes(0o002, 0o664, 0o775)

    def assertModes(self, mask, fileMode, directoryMode):
        """
        Start with C{mask}, upload a file and make a directory.

        @param mask: the C{--umask}.
        @param fileMode: the permission bits the file must have.
        @param directoryMode: those the directory must have.
        @return: a L{Deferred} that fires once both are checked.
        """
        StartupWork(mask).privilegedStartService()
        root = scratchDirectory(self)
        factory = FTPFactory(makePortal(FilesystemRealm(root)),
                             ServerConfig(), MemoryReactorClock())
        protocol, transport = loggedIn(factory)
        d = writeFile(protocol.session.shell, ("f",), b"data")
        d.addCallback(lambda _: protocol.dataReceived(b"MKD /d\r\n"))
        d.addCallback(lambda _: protocol.whenIdle())

        def check(_):
            self.assertEqual(
                os.stat(os.path.join(root, "f")).st_mode & 0o777, fileMode)
            self.assertEqual(
                os.stat(os.path.join(root, "d")).st_mode & 0o777,
                directoryMode)
        return d.addCallback(check)


class NoSiteChmodTests(unittest.TestCase):
    """
    C{--no-site-chmod} turns C{SITE CHMOD} off.
    """

    def factory(self, **settings):
        root = scratchDirectory(self)
        with open(os.path.join(root, "f"), "wb"):
            pass
        os.chmod(os.path.join(root, "f"), 0o644)
        self.path = os.path.join(root, "f")
        return FTPFactory(makePortal(FilesystemRealm(root)),
                          ServerConfig(**settings), MemoryReactorClock())

    def test_on(self):
        """
        Without it, a shell that can change modes does (C{200}).
        """
        protocol, transport = loggedIn(self.factory())
        protocol.dataReceived(b"SITE CHMOD 600 f\r\n")
        return protocol.whenIdle().addCallback(lambda _: self.assertEqual(
            (replyCodes(transport), os.stat(self.path).st_mode & 0o777),
            (["200"], 0o600)))

    def test_off(self):
        """
        With it, C{SITE CHMOD} answers C{502} and changes nothing, and
        C{SITE HELP} does not offer it.
        """
        protocol, transport = loggedIn(self.factory(siteChmod=False))
        protocol.dataReceived(b"SITE CHMOD 600 f\r\nSITE HELP\r\n")
        self.assertEqual(replyCodes(transport), ["502", "214"])
        self.assertNotIn(b"CHMOD", transport.value().split(b"\r\n")[1])
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o644)


class HideDotfilesShellTests(unittest.TestCase):
    """
    L{HideDotfilesShell}: names starting with C{.} do not exist.
    """

    def setUp(self):
        self.inner = MemoryShell({"/.secret": b"s", "/d/.git/config": b"c",
                                  "/d/f": b"f", "/visible": b"v"})
        self.shell = HideDotfilesShell(self.inner)

    @inlineCallbacks
    def test_listing(self):
        """
        Hidden names are not listed, by C{list} or C{listNames}.
        """
        entries = yield self.shell.list(())
        self.assertEqual([name for name, _ in entries], ["d", "visible"])
        self.assertEqual((yield self.shell.listNames(("d",))), ["f"])

    @inlineCallbacks
    def test_lookingAndChangingFail(self):
        """
        Looking at, reading, changing or removing a hidden path, or
        anything under a hidden directory, fails with L{NoSuchFile}.
        """
        for operation in [
            lambda: self.shell.stat((".secret",)),
            lambda: self.shell.list(("d", ".git")),
            lambda: self.shell.openForReading((".secret",)),
            lambda: self.shell.openForReading(("d", ".git", "config")),
            lambda: self.shell.hash((".secret",), "md5"),
            lambda: self.shell.removeFile((".secret",)),
            lambda: self.shell.removeDirectory(("d", ".git")),
            lambda: self.shell.rename((".secret",), ("out",)),
            lambda: self.shell.setModificationTime((".secret",), 0),
            lambda: self.shell.openForWriting(("d", ".git", "new")),
        ]:
            yield self.assertFailure(operation(), NoSuchFile)
        self.assertEqual((yield readFile(self.inner, (".secret",))), b"s")

    @inlineCallbacks
    def test_creatingRefused(self):
        """
        Creating a hidden name (upload, directory, rename target) fails
        with L{InvalidPath} (C{553}), and nothing is created.
        """
        for operation in [
            lambda: self.shell.openForWriting((".new",)),
            lambda: self.shell.makeDirectory(("d", ".hidden")),
            lambda: self.shell.rename(("visible",), (".visible",)),
        ]:
            error = yield self.assertFailure(operation(), InvalidPath)
            self.assertEqual(error.code, 553)
        entries = yield self.inner.list(())
        self.assertEqual([name for name, _ in entries],
                         [".secret", "d", "visible"])

    @inlineCallbacks
    def test_visibleWorks(self):
        """
        Everything else goes through.
        """
        self.assertEqual((yield readFile(self.shell, ("d", "f"))), b"f")
        yield writeFile(self.shell, ("new",), b"n")
        yield self.shell.rename(("new",), ("renamed",))
        self.assertEqual((yield readFile(self.inner, ("renamed",))), b"n")


class HideDotfilesProtocolTests(unittest.TestCase):
    """
    C{--hide-dotfiles} for every user, whatever shell the realm gives.
    """

    def test_namedUserAndAnonymous(self):
        """
        Named and anonymous users alike cannot see or fetch a dotfile.
        """
        factory = bareFactory(hideDotfiles=True)
        factory.realm.shell = MemoryShell({"/.secret": b"s", "/f": b"f"})
        for user, password in [(b"alice", b"secret"), (b"anonymous", b"x")]:
            protocol, transport = loggedIn(factory, user, password)
            protocol.dataReceived(b"TYPE I\r\nSIZE .secret\r\nCWD /.\r\n"
                                  b"SIZE f\r\nMDTM /.secret\r\n")
            self.assertEqual(replyCodes(transport),
                             ["200", "550", "250", "213", "550"])

    def test_uploadRefused(self):
        """
        An upload of a dotfile is refused with C{553}, a directory's with
        C{550}, the one refusal RFC 959 gives C{MKD}.
        """
        protocol, transport = loggedIn(bareFactory(hideDotfiles=True))
        protocol.dataReceived(b"STOR .htaccess\r\nMKD .d\r\n")
        self.assertEqual(replyCodes(transport), ["553", "550"])


class HideDotfilesClientTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{--hide-dotfiles} seen by a real client (ftplib).
    """

    @inlineCallbacks
    def test_listAndRetrieve(self):
        """
        LIST, NLST and MLSD leave dotfiles out, and RETR of one gets
        C{550}.
        """
        realm = BareRealm()
        realm.shell = MemoryShell({"/.secret": b"s", "/f": b"f"})
        server = self.startServer(realm, ServerConfig(hideDotfiles=True))

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10)
            lines = []
            ftp.retrlines("LIST -a", lines.append)
            names = ftp.nlst()
            facts = [name for name, _ in ftp.mlsd()]
            try:
                ftp.retrbinary("RETR .secret", io.BytesIO().write)
                refusal = "retrieved"
            except ftplib.error_perm as e:
                refusal = str(e)[:3]
            ftp.quit()
            return lines, names, facts, refusal

        lines, names, facts, refusal = yield self.inThread(client)
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].endswith(" f"))
        self.assertEqual(names, ["f"])
        self.assertNotIn(".secret", facts)
        self.assertEqual(refusal, "550")
