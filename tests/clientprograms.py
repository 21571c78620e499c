"""
The FTP client programs the client tests drive, as found on C{PATH}
(C{None} when missing: the tests that need one are skipped), and how
they are run: L{runProgram}, and L{lftpMirror} for a tree sent up and
brought back.
"""

import os
import shutil

from twisted.internet import utils

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")


def runProgram(program, *args):
    """
    Run a client program to its end, in this process's environment.

    @param program: its path (L{CURL}, L{LFTP}...).
    @param args: its arguments.
    @return: a L{twisted.internet.defer.Deferred} firing with its
        output, error output and exit status.
    """
    return utils.getProcessOutputAndValue(program, list(args), env=os.environ)


def lftpMirror(port, upload, down):
    """
    lftp, as C{alice} (password C{secret}), in clear: C{mirror -R} of the
    local directory C{upload} to C{/tree} on the server, then C{mirror} of
    C{/tree} back into C{down}.

    @param port: the server's port on 127.0.0.1.
    @param upload: the local tree to send.
    @param down: where the tree is brought back.
    @return: what L{runProgram} gives.
    """
    script = ("set cmd:fail-exit yes; set ftp:ssl-allow no; "
              "set net:max-retries 1; set net:timeout 30; "
              f"mirror -R {upload} /tree; mirror /tree {down}; quit")
    return runProgram(LFTP, "-u", "alice,secret", "-p", str(port), "-e",
                      script, "127.0.0.1")
