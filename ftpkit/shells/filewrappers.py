"""
L{WriteFileWrapper}: the base of upload files that wrap another shell's
upload file (a plugin's L{ShellWrapper} that looks at, counts or refuses
an upload's bytes).

It forwards every L{IWriteFile} method, and provides and forwards each
optional extra that does not bypass the wrapper's C{receive} exactly when
the wrapped file provides it: L{IPartialWriteFile} (C{discard}, which the
server calls instead of C{abort} for an upload refused for its own sake:
a wrapper without it made a refused C{STOR} leave its partial file kept,
hidden, and a refused C{APPE} keep what it appended),
L{IAccountedWriteFile}, L{IPrivateWriteFile} and L{IRefusingWriteFile}.
L{IDescriptorFile} is not forwarded: the server would then move the
bytes without the wrapper's consumer.
"""

from zope.interface import alsoProvides, implementer

from ftpkit.interfaces import (
    IAccountedWriteFile,
    IPartialWriteFile,
    IPrivateWriteFile,
    IRefusingWriteFile,
    IWriteFile,
)

FORWARDED_WRITE_EXTRAS = (IPartialWriteFile, IAccountedWriteFile,
                          IPrivateWriteFile, IRefusingWriteFile)
"""The extras a L{WriteFileWrapper} provides when the wrapped file does."""


def _forwarding(interface, name):
    """
    @param interface: the interface declaring the method.
    @param name: the method's name.
    @return: a method calling the wrapped file's one of that name (the
        extras' are only called where the wrapped file provides them).
    """
    def forward(self, *args):
        return getattr(self._writeFile, name)(*args)
    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = (f"See L{{{interface.__name__}.{name}}}: the wrapped "
                       "file's.")
    return forward


@implementer(IWriteFile)
class WriteFileWrapper:
    """
    An upload file that hands every call on to another, unchanged.

    Subclasses override C{receive} (to wrap the consumer) and what else
    they change; one that refuses bytes declares L{IRefusingWriteFile}
    itself and answers its own refusal before the wrapped file's
    (C{return self.refused or WriteFileWrapper.refusal(self)}).
    """

    def __init__(self, writeFile):
        """
        @param writeFile: the wrapped L{IWriteFile}.
        """
        self._writeFile = writeFile
        for extra in FORWARDED_WRITE_EXTRAS:
            if extra.providedBy(writeFile):
                alsoProvides(self, extra)

    receive = _forwarding(IWriteFile, "receive")
    close = _forwarding(IWriteFile, "close")
    abort = _forwarding(IWriteFile, "abort")
    discard = _forwarding(IPartialWriteFile, "discard")
    leftBehind = _forwarding(IAccountedWriteFile, "leftBehind")
    withholdFromOthers = _forwarding(IPrivateWriteFile, "withholdFromOthers")

    def refusal(self):
        """
        See L{IRefusingWriteFile.refusal}: the wrapped file's, where it
        provides it.

        @return: an L{ftpkit.errors.FTPError}, or C{None}.
        """
        if IRefusingWriteFile.providedBy(self._writeFile):
            return self._writeFile.refusal()
        return None
