"""
L{IFTPShellConformanceMixin}: the behaviour every
L{ftpkit.interfaces.IFTPShell} must have, as trial tests (also importable
from L{ftpkit.testing}, as it always was)::

    from twisted.trial import unittest
    from ftpkit.testing import IFTPShellConformanceMixin

    class MyShellTests(IFTPShellConformanceMixin, unittest.TestCase):
        def makeShell(self):
            return MyShell(...)   # fresh, empty and writable

The tests are in four parts, each on L{ftpkit.conformance.kit.ShellKit}
(what the read-only kit shares): L{ftpkit.conformance.tree} (paths and
directories), L{ftpkit.conformance.files} (open files),
L{ftpkit.conformance.listings} (listings in batches) and
L{ftpkit.conformance.resumes} (cut uploads resumed whole).
"""

from ftpkit.conformance.files import FileTests
from ftpkit.conformance.listings import ListingTests
from ftpkit.conformance.resumes import ResumeTests
from ftpkit.conformance.tree import TreeTests


class IFTPShellConformanceMixin(TreeTests, FileTests, ListingTests,
                                ResumeTests):
    """
    The behaviour every L{IFTPShell} must have, as trial tests.

    Mix into a L{twisted.trial.unittest.TestCase} that defines
    C{makeShell(self)}, returning a new, empty, writable L{IFTPShell}.
    Shells providing an optional extra
    (L{ftpkit.interfaces.OPTIONAL_SHELL_INTERFACES}: L{IFTPShellHash},
    L{IFTPShellNames}, L{IFTPShellChmod}, L{IFTPShellResume},
    L{IFTPShellStreamedListing}, L{IFTPShellCreate}, L{IFTPShellResolve},
    L{IFTPShellUploadOffsets}...) get its tests too (one whose uploads
    cannot write at an offset: its refusals, in place of the tests of
    resumes and appends). A shell
    working in threads of its own may override C{settle}.
    """

    def setUp(self):
        """
        Make the shell under test with the test case's C{makeShell}.
        """
        self.shell = self.makeShell()
