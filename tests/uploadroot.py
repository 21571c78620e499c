"""
L{UploadRoot}: a test case mixin giving a test a directory of its own
(C{bytes} paths) for the tests of cut uploads, their resumes and their
sweep to upload into, and the paths of its files and partial uploads;
L{expire}, which dates a partial upload past its lifetime.
"""

import os
import time

from ftpkit.shells import uploads


def expire(path):
    """
    Date a file ten seconds past a partial upload's lifetime
    (L{uploads.PARTIAL_LIFETIME}), as a partial upload the sweep removes.

    @param path: the file's path.
    """
    old = time.time() - uploads.PARTIAL_LIFETIME - 10
    os.utime(path, (old, old))


class UploadRoot:
    """
    A temporary directory for a test, C{bytes}, which the tests of cut
    uploads and their sweep upload into.

    @ivar root: the directory, once L{makeRoot} made it.
    """

    def makeRoot(self):
        """
        Make the test's directory.

        @return: its absolute path, C{bytes}.
        """
        self.root = os.fsencode(os.path.abspath(self.mktemp()))
        os.makedirs(self.root)
        return self.root

    def path(self, name):
        """
        @param name: a path relative to the directory, C{bytes}.
        @return: its absolute path.
        """
        return os.path.join(self.root, name)

    def partial(self, name):
        """
        @param name: a file's path relative to the directory, C{bytes}.
        @return: the absolute path of its partial upload.
        """
        directory, base = os.path.split(name)
        return self.path(os.path.join(directory, uploads.PARTIAL_PREFIX + base))
