"""
The directory of the quota ledgers the workers of C{--workers} share
(L{ftpkit.shells.sharedquota}), made by the acceptor for one run.
"""

import atexit
import os
import shutil
import tempfile

from twisted.application import service

from ftpkit.shells.sharedquota import LEDGERS_VARIABLE


class LedgerDirectory(service.Service):
    """
    A new private directory, named in the environment (so that the
    workers, started later, inherit it), and removed when the server
    stops, or when its process exits without stopping it.

    @ivar path: the directory.
    """

    def __init__(self, environ=os.environ):
        """
        @param environ: the environment the workers are started with.
        """
        self.path = tempfile.mkdtemp(prefix="ftpkit-quota-")
        environ[LEDGERS_VARIABLE] = self.path
        atexit.register(self._remove)

    def stopService(self):
        """
        Remove the directory.
        """
        service.Service.stopService(self)
        self._remove()

    def _remove(self):
        shutil.rmtree(self.path, ignore_errors=True)
