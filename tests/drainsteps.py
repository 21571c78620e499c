"""
Client steps of the tests that stop a server, or send C{ABOR}, while
its transfers run or its uploads commit (a C{sitecustomize} delays the
disk shell's C{close} and touches a marker file when the commit
begins): log in, upload until the commit began, read replies until the
server closes.
"""

import ftplib
import os
import time

from tests.ftpclient import ftplibLogin
from tests.tlssupport import clientContext


def loginAlice(testCase, port, tls, timeout=60):
    """
    @param testCase: the running test (closes the client at its end).
    @param port: the server's port.
    @param tls: secure the control connection and C{PROT P}.
    @param timeout: the client's socket timeout, in seconds.
    @return: an C{ftplib} client logged in as C{alice}, C{TYPE I}.
    """
    client = ftplib.FTP_TLS(context=clientContext()) if tls else None
    return ftplibLogin(testCase, port, timeout=timeout, client=client,
                       protect=tls, binary=True)


def uploadUntilCommitting(ftp, command, payload, marker, tls=False,
                          seconds=30):
    """
    Send C{payload} with C{command}, end the data connection (cleanly
    under TLS) and wait until the server's commit began.

    @param ftp: a logged-in C{ftplib} client.
    @param marker: the file the server touches when its commit begins.
    @param tls: the data connection is under C{PROT P}.
    @param seconds: how long to wait for the commit.
    @raise AssertionError: the commit never began.
    """
    data = ftp.transfercmd(command)
    data.sendall(payload)
    if tls:
        data.unwrap()
    data.close()
    deadline = time.monotonic() + seconds
    while not os.path.exists(marker):
        if time.monotonic() > deadline:
            raise AssertionError("the upload was never committed")
        time.sleep(0.01)


def repliesUntilClosed(ftp):
    """
    @param ftp: an C{ftplib} client.
    @return: the codes of the replies it reads until the server closes.
    """
    codes = []
    while True:
        line = ftp.file.readline()
        if not line:
            return codes
        codes.append(line[:3])
