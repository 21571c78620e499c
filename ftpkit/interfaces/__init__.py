"""
The plugin surface of ftpkit: storage (shells), open files and realms.
Import every name from here; each is defined in the submodule of its
kind: L{shell} (L{IFTPShell}), L{extras} (what a shell may provide
besides), L{files} (the files opened for transfers), L{plugins} (realm and
observer plugins) and L{zerocopy} (deprecated).

Paths given to a shell are tuples of already-validated segments produced
by L{ftpkit.protocol.paths}: C{()} is the root, C{("a", "b.txt")} is C{/a/b.txt}.
A segment is never C{""}, C{"."} or C{".."} and never contains C{"/"} or
NUL. Every shell method returns a L{twisted.internet.defer.Deferred} that
fails with an L{ftpkit.errors.FTPError} subclass on a user-visible error
(a missing path, or a missing directory on the way to it, is
L{ftpkit.errors.NoSuchFile} unless a method says otherwise); a shell whose
work blocks runs it in threads of its own (L{ftpkit.blocking}). The
conformance kit (L{ftpkit.testing.IFTPShellConformanceMixin}) checks every
rule given here.
"""

from ftpkit.interfaces import extras
from ftpkit.interfaces.extras import *  # noqa: F403 (extras.__all__)
from ftpkit.interfaces.files import (
    IAccountedWriteFile,
    IDescriptorFile,
    IDiscardableWriteFile,
    IPartialWriteFile,
    IPrivateWriteFile,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IRefusingWriteFile,
    IWriteFile,
)
from ftpkit.interfaces.plugins import (
    IFTPEventObserver,
    IFTPEventObserverPlugin,
    IRealmPlugin,
)
from ftpkit.interfaces.shell import IFTPShell
from ftpkit.interfaces.zerocopy import (
    ISendfileTarget,
    ISpliceSource,
    IZeroCopyConsumer,
    IZeroCopyReadFile,
    IZeroCopyWriteFile,
)

__all__ = [
    "IFTPShell",
    *extras.__all__,
    "IReadFile", "IWriteFile", "IAccountedWriteFile", "IPartialWriteFile",
    "IPrivateWriteFile",
    "IRefusingWriteFile",
    "IRandomReadFile", "IRandomWriteFile", "IDiscardableWriteFile",
    "IDescriptorFile",
    "IRealmPlugin", "IFTPEventObserver", "IFTPEventObserverPlugin",
    "IZeroCopyReadFile", "IZeroCopyWriteFile", "ISpliceSource",
    "ISendfileTarget", "IZeroCopyConsumer",
]
