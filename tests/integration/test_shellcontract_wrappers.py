"""
A shell from outside ftpkit beneath ftpkit's wrappers
(L{ftpkit.shells.contract.heldToContract}): held where it is, so that
the wrappers a realm puts around it are given answers that keep the
contract; and how a failure is described in the contract's lines.
"""

import io
import os

from twisted.internet.defer import ensureDeferred, fail
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.errors import NoSuchFile
from ftpkit.interfaces import (
    IFTPShellChmod,
)
from ftpkit.shells.contract import ContractShell, describeFailure, heldToContract
from ftpkit.shells.dotfiles import HideDotfilesShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.shellwrapper import ShellWrapper
from ftpkit.shells.wrappers import ReadOnlyShell, UploadOnlyShell
from tests.contractshells import (
    ContractTestCase,
    PluginShell,
    SloppyShell,
    replyCode,
)


class HeldToContractTests(unittest.TestCase):
    """
    L{heldToContract} holds what is not ftpkit's all through.
    """

    def test_own(self):
        """
        ftpkit's shells and wrappers are handed on as they are.
        """
        shell = ReadOnlyShell(MemoryShell())
        self.assertIs(heldToContract(shell), shell)

    def test_foreign(self):
        """
        A shell of another module is held; the held shell provides what
        the shell does.
        """
        held = heldToContract(SloppyShell("value", []))
        self.assertIsInstance(held, ContractShell)
        self.assertTrue(IFTPShellChmod.providedBy(held))

    def test_beneathWrappers(self):
        """
        A shell of another module beneath ftpkit's wrappers is held where
        it is, a copy of each wrapper around it (the realm's wrappers
        are left as they were): the wrappers are given answers that keep
        the contract. (It was held around the wrappers, which handed its
        answers on unchecked.)
        """
        shell = SloppyShell("value", [])
        given = HideDotfilesShell(ReadOnlyShell(shell))
        held = heldToContract(given)
        self.assertIs(type(held), HideDotfilesShell)
        self.assertIs(type(held._shell), ReadOnlyShell)
        self.assertIsInstance(held._shell._shell, ContractShell)
        self.assertIs(held._shell._shell._shell, shell)
        self.assertIs(given._shell._shell, shell)
        self.assertTrue(IFTPShellChmod.providedBy(held))

    def test_beneathUncopiedWrapper(self):
        """
        Beneath an ftpkit wrapper that may not be copied
        (C{copiedForResumer} false), the shell is held around it.
        """
        shell = SloppyShell("value", [])
        counting = type("Counting", (ShellWrapper,),
                        {"__module__": "ftpkit.shells.counting"})(shell)
        held = heldToContract(ReadOnlyShell(counting))
        self.assertIs(type(held), ReadOnlyShell)
        self.assertIsInstance(held._shell, ContractShell)
        self.assertIs(held._shell._shell, counting)

    def test_describeFailure(self):
        """
        One line: the type, the text and where it was raised.
        """
        try:
            raise ValueError("two\nlines")
        except ValueError as e:
            error = e
        text = describeFailure(error)
        self.assertTrue(text.startswith("ValueError: two lines (raised at "),
                        text)
        self.assertTrue(text.endswith(", in test_describeFailure)"), text)
        self.assertEqual(describeFailure(Failure(KeyError("k"))),
                         "KeyError: 'k'")

    def test_describeStandardLibraryFailure(self):
        """
        An exception the standard library raised for a plugin is said to
        be raised at the plugin's line that called it, not at the
        library's (it was C{raised at <frozen os>:225, in makedirs}).
        """
        existing = self.mktemp()
        open(existing, "w").close()

        def makeHome():
            os.makedirs(existing)

        try:
            makeHome()
        except FileExistsError as e:
            error = e
        text = describeFailure(error)
        self.assertIn(f"(raised at {__file__}:", text)
        self.assertTrue(text.endswith(", in makeHome)"), text)

    def test_describeDeferredFailure(self):
        """
        An exception a Deferred failed with, given without its traceback,
        and raised again where it is awaited, is not said to be raised in
        Twisted (it was 'raised at .../twisted/python/failure.py').
        """
        async def awaiting():
            await fail(KeyError("k"))

        failure = self.failureResultOf(ensureDeferred(awaiting()), KeyError)
        self.assertEqual(describeFailure(failure.value), "KeyError: 'k'")


class WrapperTests(ContractTestCase):
    """
    ftpkit's wrappers that a realm puts around a shell from outside
    ftpkit are given the shell held to the contract.
    """

    def test_uploadOnlyOverRaisingStat(self):
        """
        An upload-only wrapper over a shell whose C{stat} raises
        L{NoSuchFile} for a new file: the upload is stored (it got
        C{550}: the wrapper's own check of the name let the raise
        through), and one line says the shell raised.
        """
        shell = PluginShell()
        stat = shell.stat

        def raising(path):
            if path == ("n.txt",) and "n.txt" not in shell.listNames(
                    ()).result:
                raise NoSuchFile()
            return stat(path)

        shell.stat = raising

        def check(code):
            self.assertEqual(code, "226")
            self.assertEqual(shell.listNames(()).result,
                             ["d", "f.txt", "n.txt"])
            self.said("stat", "raised NoSuchFile")

        return self.session(UploadOnlyShell(shell), lambda ftp: ftp.storbinary(
            "STOR n.txt", io.BytesIO(b"new\n"))[:3]).addCallback(check)

    def test_lineNamesTheShell(self):
        """
        A plain value beneath a read-only wrapper: the line names the
        shell and what it gave (it named the wrapper's C{AttributeError},
        raised in ftpkit's code).
        """
        shell = PluginShell()
        shell.available = lambda path: 1000

        def check(code):
            self.assertEqual(code, "451")
            self.said("available", "gave 1000, not a Deferred")

        return self.session(ReadOnlyShell(shell), lambda ftp: replyCode(
            ftp, "AVBL")).addCallback(check)
