"""
An observer plugin (C{docs/hooks.rst}): one log line for each complete
upload. Twisted finds it in a C{twisted/plugins/} directory on
C{sys.path}; every installed observer plugin is asked at start.
"""

from twisted.logger import Logger
from twisted.plugin import IPlugin
from zope.interface import implementer, provider

from ftpkit.interfaces import IFTPEventObserver, IFTPEventObserverPlugin


@implementer(IFTPEventObserver)
class UploadLog:
    """
    Told of complete uploads only: it has no other method of the
    interface, so it is given no other event.
    """

    log = Logger()

    def uploadFinished(self, event):
        """
        Log the upload; return at once (slow work goes to a thread, or
        another process, and may be given back as a Deferred).

        @param event: the L{ftpkit.ops.events.Event}.
        """
        self.log.info("{user} uploaded {path} ({size} bytes) from {peer}",
                      user=event.user, path=event.path, size=event.bytes,
                      peer=event.peer)


@provider(IPlugin, IFTPEventObserverPlugin)
class UploadLogPlugin:
    """
    Gives the server an L{UploadLog}.
    """

    name = "uploadlog"

    @staticmethod
    def makeObserver(options):
        """
        @param options: the parsed server options (unused; a plugin may
            raise C{ValueError} for a missing setting: it is then skipped,
            said in one line).
        @return: an L{UploadLog}.
        """
        return UploadLog()
