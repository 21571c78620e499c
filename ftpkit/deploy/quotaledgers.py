"""
The directory of the quota ledgers the workers of C{--workers} share
(L{ftpkit.shells.sharedquota}), made by the acceptor for one run.
"""

import atexit
import os
import shutil

from twisted.application import service

from ftpkit.deploy.rundirs import makeRunDirectory
from ftpkit.shells.sharedquota import LEDGERS_VARIABLE


class LedgerDirectory(service.Service):
    """
    From its start, a new private directory, named in the environment (so
    that the workers, started after it, inherit it); removed when the
    server stops, or when its process exits without stopping it, or by
    the next server when its process was killed (L{makeRunDirectory}).

    @ivar path: the directory, once started, or C{None}.
    """

    path = None

    def __init__(self, environ=os.environ):
        """
        @param environ: the environment the workers are started with.
        """
        self._environ = environ

    def startService(self):
        """
        Make the directory and name it in the environment.
        """
        service.Service.startService(self)
        self.path = makeRunDirectory("ftpkit-quota-")
        self._environ[LEDGERS_VARIABLE] = self.path
        atexit.register(self._remove)

    def stopService(self):
        """
        Remove the directory and its name.
        """
        service.Service.stopService(self)
        self._environ.pop(LEDGERS_VARIABLE, None)
        self._remove()

    def _remove(self):
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
