"""
Tests for the resumer of a partial upload
(L{ftpkit.shells.partialowners}, L{ftpkit.shells.partials}): the
filesystem shell made for one user (C{forResumer}) keeps its cut uploads
for that user, whose C{SIZE} and resume alone see them.
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.python.filepath import FilePath
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.control.handlers.login import resumerFor, resumerOf
from ftpkit.control.sessionlimits import userKey
from ftpkit.interfaces import IFTPShell, IFTPShellResumeOwners
from ftpkit.shells import partialowners, uploads
from ftpkit.shells.diskcap import PartialCap
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.wrappers import HideDotfilesShell, ReadOnlyShell
from tests.scratch import scratchDirectory


class MayResumeTests(unittest.TestCase):
    """
    L{partialowners.mayResume}: who sees a partial upload.
    """

    def test_rule(self):
        """
        Its resumer sees it, and so does everyone when it records none,
        and a shell acting for nobody sees every one; another user does
        not.
        """
        self.assertEqual(
            [partialowners.mayResume(recorded, resumer)
             for recorded, resumer in [("alice", "alice"), ("alice", "bob"),
                                       (None, "bob"), ("alice", None)]],
            [True, False, True, True])


class SessionResumerTests(unittest.TestCase):
    """
    L{resumerOf}: whom a session's cut uploads are kept for.
    """

    def test_userOrAddress(self):
        """
        A named user's are the user's, in every session; an anonymous
        user's, whom every anonymous client is, its address's.
        """
        self.assertEqual(
            [resumerOf("alice", False, "10.0.0.1"),
             resumerOf("alice", False, "10.0.0.2"),
             resumerOf("anonymous", True, "10.0.0.1"),
             resumerOf("ftp", True, "::1")],
            ["alice", "alice", "anonymous@10.0.0.1", "anonymous@::1"])

    def test_fromKey(self):
        """
        L{resumerFor}, from the key a login made (L{userKey}), gives what
        L{resumerOf} gives: a virtual host's own user's key, the server's
        user's name, an anonymous client's address.
        """
        for username, anonymous, peer, users in [
                ("alice", False, "10.0.0.1", None),
                ("alice", False, "10.0.0.1", "/etc/vhost.passwd"),
                ("ftp", True, "::1", "/etc/vhost.passwd")]:
            self.assertEqual(
                resumerFor(userKey(username, anonymous, users), anonymous,
                           peer),
                resumerOf(username, anonymous, peer, users))


class ResumerTests(unittest.TestCase):
    """
    C{FilesystemShell.forResumer}: alice's cut upload is hers.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.target = os.path.join(self.root, b"f")
        FilePath(self.target).setContent(b"old file")
        self.shell = FilesystemShell(self.root)
        self.alice = self.shell.forResumer("alice")
        self.bob = self.shell.forResumer("bob")

    @inlineCallbacks
    def upload(self, shell, data, offset=0, append=False, cut=False):
        """
        Upload C{data} to C{f} through C{shell}; abort it if C{cut}.
        """
        opened = yield shell.openForWriting(("f",), offset, append)
        consumer = yield opened.receive()
        consumer.write(data)
        yield consumer.drain()
        yield (opened.abort() if cut else opened.close())

    @inlineCallbacks
    def sizes(self):
        """
        @return: what alice, bob and a shell acting for nobody get from
            C{resumableSize} of C{f}.
        """
        sizes = []
        for shell in (self.alice, self.bob, self.shell):
            sizes.append((yield shell.resumableSize(("f",))))
        return sizes

    def partial(self):
        """
        @return: C{f}'s partial upload, a L{FilePath}.
        """
        return FilePath(uploads.partialPath(self.target))

    @inlineCallbacks
    def test_onlyTheResumerSees(self):
        """
        alice's cut upload is seen by alice alone (and by a shell acting
        for nobody, as before resumers); bob sees none.
        """
        yield self.upload(self.alice, b"new", cut=True)
        self.assertEqual((yield self.sizes()), [3, None, 3])
        self.assertEqual(
            partialowners.resumerOf(self.partial().path), "alice")

    @inlineCallbacks
    def test_resumerContinues(self):
        """
        alice's C{REST} + C{STOR} continues her cut upload, which then
        replaces the file.
        """
        yield self.upload(self.alice, b"new ", cut=True)
        yield self.upload(self.alice, b"content", offset=4)
        self.assertEqual(FilePath(self.target).getContent(), b"new content")
        self.assertEqual(os.listdir(self.root), [b"f"])

    @inlineCallbacks
    def test_othersWriteTheFile(self):
        """
        bob's C{REST} + C{STOR} and C{APPE} write into the file itself, as
        where there is no cut upload, and leave alice's: they continued
        it (the file then alice's start and bob's end).
        """
        yield self.upload(self.alice, b"new data", cut=True)
        yield self.upload(self.bob, b"FILE", offset=4)
        self.assertEqual(FilePath(self.target).getContent(), b"old FILE")
        yield self.upload(self.bob, b"!", append=True)
        self.assertEqual(FilePath(self.target).getContent(), b"old FILE!")
        self.assertEqual(self.partial().getContent(), b"new data")

    @inlineCallbacks
    def test_recordsNobody(self):
        """
        A partial upload that records no resumer (a crashed upload's,
        made one by the sweep; one kept before resumers were recorded) is
        anyone's.
        """
        self.partial().setContent(b"crashed")
        self.assertEqual((yield self.sizes()), [7, 7, 7])
        yield self.upload(self.bob, b" and resumed", offset=7)
        self.assertEqual(FilePath(self.target).getContent(),
                         b"crashed and resumed")

    @inlineCallbacks
    def test_lastCutKept(self):
        """
        bob's cut upload of the same file replaces alice's: one partial
        upload a file, now bob's.
        """
        yield self.upload(self.alice, b"alice's", cut=True)
        yield self.upload(self.bob, b"bob's!", cut=True)
        self.assertEqual((yield self.sizes()), [None, 6, 6])
        self.assertEqual(self.partial().getContent(), b"bob's!")

    @inlineCallbacks
    def test_keptAgain(self):
        """
        alice's resume, cut in turn, is kept for her again.
        """
        yield self.upload(self.alice, b"new ", cut=True)
        yield self.upload(self.alice, b"cont", offset=4, cut=True)
        self.assertEqual((yield self.sizes()), [8, None, 8])

    def test_wrappersKept(self):
        """
        A wrapper's C{forResumer} is the same wrapper around the wrapped
        shell's: what it restricts stays restricted.
        """
        wrapped = HideDotfilesShell(ReadOnlyShell(self.shell))
        self.assertTrue(IFTPShellResumeOwners.providedBy(wrapped))
        mine = wrapped.forResumer("alice")
        self.assertIsInstance(mine, HideDotfilesShell)
        self.assertIsInstance(mine._shell, ReadOnlyShell)
        self.assertEqual(mine._shell._shell._resumer, "alice")
        self.assertIsNone(self.shell._resumer)


class ResumerCopyNamesTests(unittest.TestCase):
    """
    C{FilesystemShell.forResumer} makes a copy at every login, which holds a
    value for every name its shell stored: a name stored with the value its
    class gives already makes every session larger (session 55's
    C{onPartialDropped}, stored as C{None} by the default realm's shells,
    added 8 bytes to each idle session).
    """

    def assertNoDefaultsStored(self, shell):
        """
        Fail if C{shell} stores a name with the very value its class gives.

        @param shell: a L{FilesystemShell}.
        """
        cls = type(shell)
        stored = [name for name, value in vars(shell).items()
                  if name in dir(cls) and getattr(cls, name) is value]
        self.assertEqual(stored, [])

    def test_withoutOptions(self):
        """
        A shell given none of its options, and its copy, store none of
        them (C{partialCap}, C{onPartialDropped}, and the short calls' own
        runner it has none of).
        """
        root = scratchDirectory(self)
        shell = FilesystemShell(root, runner=lambda f, *a: f(*a))
        self.assertNoDefaultsStored(shell)
        self.assertNoDefaultsStored(shell.forResumer("alice"))

    def test_defaultRealm(self):
        """
        The shell a login gets from the default realm (a cap on partial
        uploads, no C{onPartialDropped}): its copy stores no name for the
        callback it was not given.
        """
        root = scratchDirectory(self)
        realm = FilesystemRealm(root)
        _, shell, _ = realm.requestAvatar("alice", None, IFTPShell)
        copy = shell.forResumer("alice")
        self.assertNoDefaultsStored(copy)
        self.assertNotIn("_onPartialDropped", vars(copy))

    def test_given(self):
        """
        What a shell is given, its copy has.
        """
        cap, told = PartialCap(3), []
        shell = FilesystemShell(scratchDirectory(self), partialCap=cap,
                                onPartialDropped=told.append)
        copy = shell.forResumer("alice")
        self.assertEqual((copy._partialCap, copy._onPartialDropped),
                         (cap, told.append))
