"""
Tests for L{ftpkit.protocol.access}: the server holds every session to
C{--read-only} and the anonymous rules, whatever shell the realm returns.
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest
from zope.interface import alsoProvides

from ftpkit.auth.realms import wrapForUser
from ftpkit.config import ServerConfig
from ftpkit.errors import NoSuchFile
from ftpkit.interfaces import IFTPShellChmod
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol import commandtable
from ftpkit.protocol.access import CHANGE, CREATE, READ, AccessPolicy
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.wrappers import ReadOnlyShell, UploadOnlyShell
from ftpkit.testing import readFile
from tests.barerealm import BareRealm, bareFactory, loggedIn
from tests.ftpclient import ftplibLogin
from tests.memorysessions import replyCodes
from tests.scratch import scratchDirectory
from tests.usersfiles import startUsersServer


class AccessPolicyTests(unittest.TestCase):
    """
    L{AccessPolicy.allows}: who may do what class of thing.
    """

    def test_namedUser(self):
        """
        A named user may do everything.
        """
        policy = AccessPolicy()
        for access in (READ, CREATE, CHANGE):
            self.assertTrue(policy.allows(access))

    def test_readOnly(self):
        """
        Under C{readOnly}, nobody may change anything, even with
        C{anonymousWrite}.
        """
        for anonymous in (False, True):
            policy = AccessPolicy(True, anonymous, True)
            self.assertEqual([policy.allows(a) for a in (READ, CREATE, CHANGE)],
                             [True, False, False])

    def test_anonymous(self):
        """
        Anonymous users only read, or with C{anonymousWrite} also create;
        they never change what exists.
        """
        self.assertEqual(
            [AccessPolicy(False, True, False).allows(a)
             for a in (READ, CREATE, CHANGE)], [True, False, False])
        self.assertEqual(
            [AccessPolicy(False, True, True).allows(a)
             for a in (READ, CREATE, CHANGE)], [True, True, False])

    def test_forUser(self):
        """
        L{AccessPolicy.forUser} takes the settings of a L{ServerConfig}.
        """
        config = ServerConfig(readOnly=True, anonymousWrite=True)
        self.assertEqual(AccessPolicy.forUser(config, True),
                         AccessPolicy(True, True, True))

    def test_policiesShared(self):
        """
        Logins with the same settings share one policy value (made once,
        not at every login).
        """
        config = ServerConfig(hideDotfiles=True)
        policy = AccessPolicy.forUser(config, False)
        self.assertIs(AccessPolicy.forUser(ServerConfig(hideDotfiles=True),
                                           False), policy)
        self.assertIs(AccessPolicy.of(False, False, False, True, True,
                                      False), policy)
        self.assertIsNot(AccessPolicy.forUser(config, True), policy)

    def test_everyCommandHasAnAccessClass(self):
        """
        Each verb of the table names one of the three access classes, and
        every verb that creates is an upload or a directory.
        """
        for command in commandtable.COMMANDS.values():
            self.assertIn(command.access, (READ, CREATE, CHANGE))
        creating = sorted(verb for verb, command
                          in commandtable.COMMANDS.items()
                          if command.access == CREATE)
        self.assertEqual(creating, ["MKD", "STOR", "STOU", "XMKD"])


class GuardTests(unittest.TestCase):
    """
    L{AccessPolicy.guard}: the wrapper each user's shell gets.
    """

    def test_namedUserUnwrapped(self):
        """
        A named user's shell is given back as it is.
        """
        shell = MemoryShell()
        self.assertIs(AccessPolicy().guard(shell), shell)

    def test_wrappers(self):
        """
        Read-only users get a L{ReadOnlyShell}; anonymous uploaders an
        L{UploadOnlyShell}.
        """
        shell = MemoryShell()
        self.assertIsInstance(AccessPolicy(True).guard(shell), ReadOnlyShell)
        self.assertIs(type(AccessPolicy(False, True).guard(shell)),
                      ReadOnlyShell)
        self.assertIs(type(AccessPolicy(False, True, True).guard(shell)),
                      UploadOnlyShell)

    def test_guardTwice(self):
        """
        Guarding a shell already guarded by a realm with the same or
        stricter rules gives it back unchanged.
        """
        shell = MemoryShell()
        for realmRules in [(False, True, False), (False, True, True),
                           (True, False, False)]:
            guarded = wrapForUser(shell, realmRules[1], realmRules[0],
                                  realmRules[2])
            self.assertIs(AccessPolicy(*realmRules).guard(guarded), guarded)
        readOnly = wrapForUser(shell, True, False, False)
        self.assertIs(AccessPolicy(False, True, True).guard(readOnly),
                      readOnly)

    def test_stricterServerWins(self):
        """
        A shell a realm made upload-only is made read-only when the
        server is read-only.
        """
        uploadOnly = wrapForUser(MemoryShell(), True, False, True)
        guarded = AccessPolicy(True, True, True).guard(uploadOnly)
        self.assertIs(type(guarded), ReadOnlyShell)


class BareShellProtocolTests(unittest.TestCase):
    """
    The rules hold at the protocol level for a realm returning a bare
    shell.
    """

    @inlineCallbacks
    def test_anonymousOverwriteRefused(self):
        """
        With C{anonymousWrite}, an anonymous C{STOR} onto an existing file
        is refused (C{550}) and the file is unchanged; so is a resumed
        C{STOR} (C{REST}) onto a new name.
        """
        factory = bareFactory(anonymousWrite=True)
        protocol, transport = loggedIn(factory, b"anonymous", b"a@b")
        protocol.dataReceived(
            b"STOR /old.txt\r\nTYPE I\r\nREST 5\r\nSTOR /new\r\n")
        self.assertEqual(replyCodes(transport), ["550", "200", "350", "550"])
        self.assertEqual((yield readFile(factory.realm.shell, ("old.txt",))),
                         b"original\n")

    def test_anonymousChangesRefused(self):
        """
        Anonymous users never delete, rename, append or touch (C{MFMT},
        C{SITE UTIME}, C{MFF}), with or without C{anonymousWrite}.
        """
        for anonymousWrite in (False, True):
            protocol, transport = loggedIn(
                bareFactory(anonymousWrite=anonymousWrite), b"ftp", b"x")
            protocol.dataReceived(
                b"DELE /old.txt\r\nRNFR /old.txt\r\nAPPE /old.txt\r\n"
                b"RMD /d\r\nMFMT 20200101000000 /old.txt\r\n"
                b"SITE CHMOD 600 /old.txt\r\n"
                b"SITE UTIME 202001010000 /old.txt\r\n"
                b"MFF UNIX.mode=0600; /old.txt\r\n")
            self.assertEqual(replyCodes(transport), ["550"] * 8)

    def test_anonymousReadOnlyByDefault(self):
        """
        Without C{anonymousWrite}, anonymous users may not upload or make
        directories.
        """
        protocol, transport = loggedIn(bareFactory(), b"anonymous", b"x")
        protocol.dataReceived(b"STOR /new\r\nSTOU\r\nMKD /e\r\n")
        self.assertEqual(replyCodes(transport), ["550"] * 3)

    def test_anonymousMayMakeDirectory(self):
        """
        With C{anonymousWrite}, anonymous users may make a directory.
        """
        protocol, transport = loggedIn(bareFactory(anonymousWrite=True),
                                       b"anonymous", b"x")
        protocol.dataReceived(b"MKD /e\r\n")
        self.assertEqual(replyCodes(transport), ["257"])

    def test_readOnlyRefusesBeforeRunning(self):
        """
        C{--read-only} refuses every command that changes something before
        it runs: C{RNFR}, which only looks at its path, gets C{550}, not
        C{350}, and no C{RNTO} can follow.
        """
        protocol, transport = loggedIn(bareFactory(readOnly=True))
        protocol.dataReceived(b"RNFR /old.txt\r\nRNTO /moved\r\n")
        self.assertEqual(replyCodes(transport), ["550", "550"])

    def test_siteRefusedBeforeRunning(self):
        """
        C{SITE CHMOD}, C{UTIME} and C{MKDIR} of a user whose rules refuse
        their access class (C{SITE_ACCESS}) are refused before they run,
        as every verb is (L{commandtable.accessOf}): C{550 Permission
        denied} whatever the argument, and the shell is asked nothing. The
        guard alone refused them later, after the handler had asked the
        shell (a request to a remote store each), and a missing path's
        C{SITE CHMOD} with C{No such file}.
        """
        lines = [b"SITE CHMOD 600 /old.txt", b"SITE CHMOD 600 /nope",
                 b"SITE CHMOD 9999 /old.txt", b"site  chmod 600 /old.txt",
                 b"SITE UTIME 202001010000 /old.txt",
                 b"SITE UTIME /old.txt 202001010000 202001010000"
                 b" 202001010000 UTC", b"SITE MKDIR /e/f", b"SITE MKDIR /d"]
        for settings, user in (({"readOnly": True}, b"alice"),
                               ({}, b"anonymous")):
            factory = bareFactory(**settings)
            shell = factory.realm.shell
            alsoProvides(shell, IFTPShellChmod)
            asked = []
            for name in ("stat", "list", "makeDirectory", "setPermissions",
                         "setModificationTime"):
                setattr(shell, name, lambda *args, name=name, asked=asked:
                        asked.append(name) or defer.fail(NoSuchFile()))
            protocol, transport = loggedIn(factory, user, b"secret")
            protocol.dataReceived(b"".join(line + b"\r\n" for line in lines))
            self.assertEqual(transport.value().split(b"\r\n"),
                             [b"550 Permission denied"] * len(lines) + [b""])
            self.assertEqual(asked, [])

    @inlineCallbacks
    def test_readOnlyRefusesEveryChange(self):
        """
        Under C{--read-only}, every command of class C{create} or
        C{change} is refused with C{550} for named users, and nothing
        changes.
        """
        factory = bareFactory(readOnly=True)
        protocol, transport = loggedIn(factory)
        lines = [b"STOR /old.txt", b"STOR /new", b"STOU", b"APPE /old.txt",
                 b"DELE /old.txt", b"RNFR /old.txt", b"RNTO /x",
                 b"MKD /e", b"XMKD /e", b"RMD /d", b"XRMD /d",
                 b"MFMT 20200101000000 /old.txt",
                 b"MFF modify=20200101000000; /old.txt",
                 b"SITE CHMOD 600 /old.txt",
                 b"SITE UTIME 202001010000 /old.txt",
                 b"SITE UTIME /old.txt 202001010000 202001010000"
                 b" 202001010000 UTC"]
        changing = [verb for verb, command in commandtable.COMMANDS.items()
                    if command.access != READ]
        self.assertEqual(
            sorted(changing),
            sorted({line.split()[0].decode() for line in lines} - {"SITE"}))
        protocol.dataReceived(b"".join(line + b"\r\n" for line in lines))
        self.assertEqual(replyCodes(transport), ["550"] * len(lines))
        entries = yield factory.realm.shell.list(())
        self.assertEqual([name for name, _ in entries], ["d", "old.txt"])
        self.assertEqual((yield readFile(factory.realm.shell, ("old.txt",))),
                         b"original\n")

    def test_readOnlyShell(self):
        """
        Under C{--read-only} the session's shell itself refuses changes,
        whatever the realm returned.
        """
        protocol, _ = loggedIn(bareFactory(readOnly=True))
        self.assertIsInstance(protocol.session.shell, ReadOnlyShell)
        return self.assertFailure(protocol.session.shell.removeFile(("old.txt",)),
                                  Exception)

    def test_namedUserMayChange(self):
        """
        Without C{--read-only}, named users change what their shell lets
        them.
        """
        factory = bareFactory()
        protocol, transport = loggedIn(factory)
        protocol.dataReceived(b"RNFR /old.txt\r\nRNTO /moved\r\n"
                              b"DELE /moved\r\n")
        self.assertEqual(replyCodes(transport), ["350", "250", "250"])
        self.assertIs(protocol.session.shell, factory.realm.shell)


class AnonymousUploadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A real client (ftplib) uploading anonymously through a bare realm.
    """

    @inlineCallbacks
    def test_overwriteRefused(self):
        """
        With C{--anonymous-write}, ftplib may upload a new file but gets
        C{550} storing onto an existing one, which keeps its bytes.
        """
        realm = BareRealm()
        server = self.startServer(realm, ServerConfig(anonymousWrite=True))

        def client():
            ftp = ftplibLogin(self, server.port, "anonymous", "anonymous@",
                              timeout=10)
            ftp.storbinary("STOR new.txt", io.BytesIO(b"new"))
            try:
                ftp.storbinary("STOR old.txt", io.BytesIO(b"evil"))
                code = "accepted"
            except ftplib.error_perm as e:
                code = str(e)[:3]
            ftp.quit()
            return code

        code = yield self.inThread(client)
        self.assertEqual(code, "550")
        self.assertEqual((yield readFile(realm.shell, ("old.txt",))),
                         b"original\n")
        self.assertEqual((yield readFile(realm.shell, ("new.txt",))), b"new")


class ReadOnlyUserTests(LoopbackServerMixin, unittest.TestCase):
    """
    A user the users file makes read-only, with a real client (ftplib).
    """

    @inlineCallbacks
    def test_renameRefusedAtRNFR(self):
        """
        ftplib's C{rename} fails at C{RNFR} with C{550}: the server never
        says a rename is under way; the file keeps its name.
        """
        root = scratchDirectory(self)
        os.makedirs(os.path.join(root, "alice"))
        with open(os.path.join(root, "alice", "f.txt"), "wb") as f:
            f.write(b"kept")
        server = startUsersServer(
            self, root, '[users.alice]\nread-only = true\n',
            {"alice": "secret"})

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10)
            replies = []
            for line in ("RNFR f.txt", "RNTO g.txt"):
                try:
                    replies.append(ftp.sendcmd(line))
                except ftplib.error_perm as e:
                    replies.append(str(e))
            ftp.quit()
            return replies

        replies = yield self.inThread(client)
        self.assertEqual([reply[:3] for reply in replies], ["550", "550"])
        self.assertTrue(os.path.exists(os.path.join(root, "alice", "f.txt")))
