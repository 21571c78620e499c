"""
Run pyftpdlib for the benchmark: C{python -m bench.pyftpd [--info] PORT ROOT
[PEM]}.

User C{bench}, password C{bench}, full permissions on C{ROOT}; with C{PEM}
(certificate and key) it uses pyftpdlib's TLS handler (explicit FTPS).
Without C{--info} it logs warnings and errors only; with it, pyftpdlib
configures its own logging, as it does for a program that configures
none (C{INFO} to standard error: every connect, login, file transfer and
disconnect, and C{CWD}, C{MKD}, C{DELE}...).
"""

import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer


def main(argv):
    """
    Serve until killed.

    @param argv: C{[PORT, ROOT]} or C{[PORT, ROOT, PEM]}, after
        C{--info} or not.
    """
    info = argv[:1] == ["--info"]
    if info:
        argv = argv[1:]
    port, root = int(argv[0]), argv[1]
    authorizer = DummyAuthorizer()
    authorizer.add_user("bench", "bench", root, perm="elradfmwMT")
    if len(argv) > 2:
        handler = TLS_FTPHandler
        handler.certfile = argv[2]
        handler.keyfile = argv[2]
    else:
        handler = FTPHandler
    handler.authorizer = authorizer
    if not info:
        logging.basicConfig(level=logging.WARNING)
    server = FTPServer(("127.0.0.1", port), handler)
    server.max_cons = 0
    server.max_cons_per_ip = 0
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
