"""
The acceptor's C{/metrics} under C{--workers}: C{prometheus_client}'s
multiprocess collector over the regular C{*.db} files of the directory
alone (L{RegularFilesCollector}).

C{prometheus_client} opens every C{*.db} file there with a plain
C{open()}: a FIFO among them (made by mistake, or by a program of the
server's user: the directory is the server's own) made a scrape wait
for a writer for good, in the acceptor's reactor, which then answered
no scrape and passed no connection to a worker. A directory named so
failed every scrape (C{500}).
"""

import glob
import os
import stat

from prometheus_client.multiprocess import MultiProcessCollector


def regularFiles(paths):
    """
    @param paths: paths of files.
    @return: those naming regular files (links followed), in order.
    """
    regular = []
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode):
            regular.append(path)
    return regular


class RegularFilesCollector(MultiProcessCollector):
    """
    C{MultiProcessCollector}, reading none of the directory's C{*.db}
    entries that is no regular file.
    """

    def __init__(self, registry, path):
        """
        @param registry: the C{CollectorRegistry} it registers with.
        @param path: the multiprocess directory.
        """
        self._directory = path
        MultiProcessCollector.__init__(self, registry, path)

    def collect(self):
        """
        @return: the metric families of the regular files' values, added
            up across processes.
        """
        paths = glob.glob(os.path.join(glob.escape(self._directory), "*.db"))
        return self.merge(regularFiles(paths), accumulate=True)
