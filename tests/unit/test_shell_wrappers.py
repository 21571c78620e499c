"""
Tests for L{ftpkit.shells.wrappers}.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest
from zope.interface import alsoProvides, implementer, implementer_only
from zope.interface.verify import verifyObject

from ftpkit.errors import InvalidPath, PermissionDenied
from ftpkit.interfaces import (
    OPTIONAL_SHELL_INTERFACES,
    IFTPShell,
    IFTPShellChmod,
    IFTPShellCreate,
    IFTPShellHash,
    IFTPShellNames,
    IFTPShellPermitted,
    IFTPShellRates,
    IFTPShellResolve,
    IFTPShellResumeOwners,
    IFTPShellTimes,
)
from ftpkit.shells.contract import ratesOf
from ftpkit.shells.held import HeldUploads, HeldUploadsShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PermissionTable
from ftpkit.shells.wrappers import (
    HideDotfilesShell,
    ReadOnlyShell,
    ShellWrapper,
    UploadOnlyShell,
)
from ftpkit.testing import readFile, writeFile


@implementer_only(IFTPShell)
class _NoHashShell(MemoryShell):
    """
    A shell that provides neither L{IFTPShellHash} nor L{IFTPShellNames}.
    """


class _WrapperTestsMixin:
    """
    What both wrappers share.
    """

    def setUp(self):
        self.inner = MemoryShell({"/d/f": b"content"})
        self.shell = self.wrapper(self.inner)

    def test_interfaces(self):
        """
        The wrapper provides L{IFTPShell}, and L{IFTPShellHash} and
        L{IFTPShellNames} exactly when the wrapped shell does.
        """
        self.assertTrue(verifyObject(IFTPShell, self.shell))
        self.assertTrue(verifyObject(IFTPShellHash, self.shell))
        self.assertTrue(verifyObject(IFTPShellNames, self.shell))
        plain = self.wrapper(_NoHashShell())
        self.assertTrue(verifyObject(IFTPShell, plain))
        self.assertFalse(IFTPShellHash.providedBy(plain))
        self.assertFalse(IFTPShellNames.providedBy(plain))

    @inlineCallbacks
    def test_reading(self):
        """
        Looking and downloading go through.
        """
        self.assertTrue((yield self.shell.stat(("d",))).isDirectory)
        self.assertEqual(len((yield self.shell.list(("d",)))), 1)
        self.assertEqual((yield self.shell.listNames(("d",))), ["f"])
        self.assertEqual((yield readFile(self.shell, ("d", "f"), 1)), b"ontent")
        self.assertEqual(len((yield self.shell.hash(("d", "f"), "md5"))), 32)

    @inlineCallbacks
    def test_changesRefused(self):
        """
        Removing, renaming, touching, resuming and appending fail with
        L{PermissionDenied} and change nothing.
        """
        for operation in [
            self.shell.removeDirectory(("d",)),
            self.shell.removeFile(("d", "f")),
            self.shell.rename(("d", "f"), ("g",)),
            self.shell.setModificationTime(("d", "f"), 1000),
            self.shell.openForWriting(("d", "f"), 1),
            self.shell.openForWriting(("d", "f"), append=True),
            self.shell.openForWriting(("new",), 1),
            self.shell.openForWriting(("new",), append=True),
        ]:
            yield self.assertFailure(operation, PermissionDenied)
        self.assertEqual((yield readFile(self.inner, ("d", "f"))), b"content")
        self.assertEqual(len((yield self.inner.list(()))), 1)
        self.assertNotEqual((yield self.inner.stat(("d", "f"))).mtime, 1000)

    def test_overwriteRefused(self):
        """
        Uploading over an existing file fails with L{PermissionDenied}.
        """
        return self.assertFailure(
            self.shell.openForWriting(("d", "f")), PermissionDenied
        )


class ReadOnlyShellTests(_WrapperTestsMixin, unittest.TestCase):
    """
    Tests for L{ReadOnlyShell}.
    """

    wrapper = ReadOnlyShell

    @inlineCallbacks
    def test_creatingRefused(self):
        """
        Making directories and uploading new files are refused.
        """
        yield self.assertFailure(self.shell.makeDirectory(("x",)), PermissionDenied)
        yield self.assertFailure(
            self.shell.openForWriting(("new",)), PermissionDenied
        )
        self.assertEqual(len((yield self.inner.list(()))), 1)


class UploadOnlyShellTests(_WrapperTestsMixin, unittest.TestCase):
    """
    Tests for L{UploadOnlyShell}.
    """

    wrapper = UploadOnlyShell

    @inlineCallbacks
    def test_creating(self):
        """
        Making directories and uploading new files go through.
        """
        yield self.shell.makeDirectory(("x",))
        yield writeFile(self.shell, ("x", "new"), b"upload")
        self.assertEqual((yield readFile(self.inner, ("x", "new"))), b"upload")

    @inlineCallbacks
    def test_overwriteMessage(self):
        """
        The refusal to overwrite says so.
        """
        error = yield self.assertFailure(
            self.shell.openForWriting(("d", "f")), PermissionDenied
        )
        self.assertEqual(error.message, "Overwrite not allowed")


@implementer(IFTPShell, *OPTIONAL_SHELL_INTERFACES)
class _RecordingShell:
    """
    A shell providing every optional extra, recording each call.

    @ivar calls: C{(method name, arguments)} of every call, in order.
    """

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def method(*args):
            self.calls.append((name, args))
            return "result of " + name
        return method


@implementer_only(IFTPShell, *(extra for extra in OPTIONAL_SHELL_INTERFACES
                                if extra is not IFTPShellResolve))
class _LinklessRecordingShell(_RecordingShell):
    """
    A L{_RecordingShell} of a storage without symbolic links (no
    L{IFTPShellResolve}): a permission shell checks the paths alone.
    """


class _Copied(ShellWrapper):
    """
    A wrapper that may be copied for each session.
    """

    copiedForResumer = True


REWRAPPED = frozenset(["forResumer"])
"""The optional methods whose result a wrapper wraps again, rather than
hand it back as it is: the shell they return must keep the wrapper's
restrictions (L{ShellWrapperTests.test_rewraps})."""


def _methods(interface):
    """
    @return: the names of the methods C{interface} declares but those of
        L{REWRAPPED}.
    """
    return sorted(set(interface.names()) - REWRAPPED)


class ShellWrapperTests(unittest.TestCase):
    """
    L{ShellWrapper}, the base of every wrapper: it forwards every method
    and every optional extra it does not restrict.
    """

    def test_forwardsEverything(self):
        """
        Every method of L{IFTPShell} and of each optional extra reaches the
        wrapped shell with its arguments, and its result comes back.
        """
        inner = _RecordingShell()
        wrapper = _Copied(inner)
        for interface in (IFTPShell,) + OPTIONAL_SHELL_INTERFACES:
            self.assertTrue(verifyObject(interface, wrapper))
            for name in _methods(interface):
                del inner.calls[:]
                arguments = interface[name].required
                result = getattr(wrapper, name)(*arguments)
                self.assertEqual(result, "result of " + name)
                self.assertEqual(inner.calls[0][0], name)
                self.assertEqual(inner.calls[0][1][:len(arguments)],
                                 arguments)

    def test_copiedOnlyIfSaid(self):
        """
        A wrapper class that does not say its instances may be copied for
        a session (L{ShellWrapper.copiedForResumer}), as one written
        before C{forResumer} existed, does not provide
        L{IFTPShellResumeOwners}: every session keeps using that one
        wrapper, whose counters a copy would have split.
        """
        inner = _RecordingShell()
        self.assertTrue(IFTPShellResumeOwners.providedBy(inner))
        self.assertFalse(IFTPShellResumeOwners.providedBy(ShellWrapper(inner)))
        self.assertTrue(IFTPShellResumeOwners.providedBy(_Copied(inner)))
        for wrapper in (ReadOnlyShell, UploadOnlyShell, HideDotfilesShell,
                        lambda shell: HeldUploadsShell(shell, HeldUploads()),
                        lambda shell: PermissionShell(shell,
                                                      PermissionTable([]))):
            self.assertTrue(IFTPShellResumeOwners.providedBy(wrapper(inner)))

    def test_rewraps(self):
        """
        C{forResumer} through a wrapper is a wrapper of the same kind
        around the wrapped shell's C{forResumer}: handed back as it is, it
        was the wrapped shell without the wrapper's restrictions (a
        read-only user's uploads allowed).
        """
        inner = _RecordingShell()
        wrapper = ReadOnlyShell(inner)
        mine = wrapper.forResumer("alice")
        self.assertIsInstance(mine, ReadOnlyShell)
        self.assertEqual(mine._shell, "result of forResumer")
        self.assertEqual(inner.calls, [("forResumer", ("alice",))])
        self.assertIs(wrapper._shell, inner)

    def test_providesOnlyWhatTheShellProvides(self):
        """
        A wrapper provides an optional extra only when the wrapped shell
        does; but for L{IFTPShellPermitted}, which the wrappers that
        restrict what a user may do always provide (their own rules).
        """
        plain = ShellWrapper(_NoHashShell())
        for interface in OPTIONAL_SHELL_INTERFACES:
            self.assertFalse(interface.providedBy(plain), interface)
        for shell in (ReadOnlyShell(_NoHashShell()),
                      UploadOnlyShell(_NoHashShell()),
                      PermissionShell(_NoHashShell(), PermissionTable([]))):
            for interface in OPTIONAL_SHELL_INTERFACES:
                self.assertEqual(interface.providedBy(shell),
                                 interface is IFTPShellPermitted, interface)

    def test_everyWrapperKeepsEveryExtra(self):
        """
        The read-only, upload-only and permission shells all provide every
        optional extra of the shell they wrap (C{SITE CHMOD} included).
        """
        wrappers = [ReadOnlyShell, UploadOnlyShell,
                    lambda shell: PermissionShell(shell, PermissionTable([]))]
        for wrapper in wrappers:
            shell = wrapper(_RecordingShell())
            for interface in OPTIONAL_SHELL_INTERFACES:
                self.assertTrue(verifyObject(interface, shell), interface)

    def test_readOnlyRefusesChmod(self):
        """
        L{ReadOnlyShell} provides L{IFTPShellChmod} but refuses it, so the
        client hears C{550}, not that the command does not exist.
        """
        inner = _RecordingShell()
        shell = ReadOnlyShell(inner)
        self.assertTrue(IFTPShellChmod.providedBy(shell))
        self.failureResultOf(shell.setPermissions(("f",), 0o600),
                             PermissionDenied)
        self.assertEqual(inner.calls, [])

    def test_readOnlyRefusesTimes(self):
        """
        L{ReadOnlyShell} provides L{IFTPShellTimes} but refuses it: the
        access time is no way around its refusal of a modification time.
        """
        inner = _RecordingShell()
        shell = ReadOnlyShell(inner)
        self.assertTrue(IFTPShellTimes.providedBy(shell))
        self.failureResultOf(shell.setTimes(("f",), 1, 2), PermissionDenied)
        self.assertEqual(inner.calls, [])

    def test_permissionShellChmod(self):
        """
        L{PermissionShell} forwards C{setPermissions} where the user has
        the C{chmod} permission, and refuses it elsewhere.
        """
        inner = _LinklessRecordingShell()
        shell = PermissionShell(inner, PermissionTable(["list"],
                                                       {("d",): ["chmod"]}))
        self.failureResultOf(shell.setPermissions(("f",), 0o600),
                             PermissionDenied)
        self.assertEqual(inner.calls, [])
        shell.setPermissions(("d", "f"), 0o600)
        self.assertEqual(inner.calls, [("setPermissions", (("d", "f"), 0o600))])


class ForwardersTests(unittest.TestCase):
    """
    L{ShellWrapper} forwards every method of every optional interface,
    made from L{OPTIONAL_SHELL_INTERFACES}, so a new optional interface
    needs no change to the wrappers.
    """

    def test_everyOptionalMethod(self):
        """
        Each optional method is handed on, arguments and result unchanged.
        """
        from zope.interface.interface import Method

        from ftpkit.interfaces import OPTIONAL_SHELL_INTERFACES

        calls = []

        class Anything:
            def __getattr__(self, name):
                return lambda *args, **kwargs: calls.append(
                    (name, args, kwargs)) or name

        wrapper = ShellWrapper(Anything())
        names = [name for interface in OPTIONAL_SHELL_INTERFACES
                 for name in interface.names()
                 if isinstance(interface[name], Method)
                 and name not in REWRAPPED]
        self.assertTrue(names)
        for name in names:
            self.assertEqual(getattr(wrapper, name)(("a",), 1, x=2), name)
        self.assertEqual([call for call in calls if call[0] in names],
                         [(n, (("a",), 1), {"x": 2}) for n in names])


class CreateKeptTests(unittest.TestCase):
    """
    The wrappers that restrict uploads keep
    L{ftpkit.interfaces.IFTPShellCreate}, with their restriction, so that
    C{STOU} through them still never replaces a file.
    """

    def test_hideDotfiles(self):
        """
        L{HideDotfilesShell} provides it and refuses hidden names, as
        uploads.
        """
        shell = HideDotfilesShell(MemoryShell())
        self.assertTrue(verifyObject(IFTPShellCreate, shell))
        self.failureResultOf(shell.openForCreating((".x",)), InvalidPath)
        self.successResultOf(shell.openForCreating(("x",)))

    def test_held(self):
        """
        L{ftpkit.shells.held.HeldUploadsShell} provides it, and refuses it
        as uploads on storage that cannot hold them.
        """
        shell = HeldUploadsShell(MemoryShell(), HeldUploads())
        self.assertTrue(verifyObject(IFTPShellCreate, shell))
        self.failureResultOf(shell.openForCreating(("x",)), PermissionDenied)


class RatesTests(unittest.TestCase):
    """
    A wrapper around an L{IFTPShellRates} shell provides it, with the
    wrapped shell's rates unless it is given its own.
    """

    def rated(self, download, upload):
        """
        @return: a L{MemoryShell} providing L{IFTPShellRates} with those
            rates.
        """
        shell = MemoryShell()
        alsoProvides(shell, IFTPShellRates)
        shell.downloadRate, shell.uploadRate = download, upload
        return shell

    def test_forwarded(self):
        """
        L{ReadOnlyShell} and L{HideDotfilesShell} around a rated shell
        have its rates (before session 47 they provided no rates, and
        its sessions went at the server's).
        """
        for wrapper in (ShellWrapper, ReadOnlyShell, HideDotfilesShell):
            shell = wrapper(self.rated(200000, None))
            self.assertTrue(verifyObject(IFTPShellRates, shell))
            self.assertEqual(ratesOf(shell), (200000, None))

    def test_ownWins(self):
        """
        A rate set on the wrapper (as the users realm sets a users
        file's) wins over the wrapped shell's; the other is still the
        wrapped shell's, and the wrapped shell keeps its own.
        """
        inner = self.rated(200000, 300000)
        shell = ReadOnlyShell(inner)
        shell.downloadRate = 1000
        self.assertEqual(ratesOf(shell), (1000, 300000))
        self.assertEqual(ratesOf(inner), (200000, 300000))
        shell.uploadRate = None
        self.assertEqual(ratesOf(shell), (1000, None))

    def test_unratedNotProvided(self):
        """
        Around a shell without rates, a wrapper does not provide them.
        """
        self.assertFalse(IFTPShellRates.providedBy(
            ReadOnlyShell(MemoryShell())))
