"""
A logged-in ftplib client for a test, closed when the test ends.

Most integration tests open a session the same way: connect to a server
on loopback, log in, often switch to binary, with FTPS protect the data
connections; they call L{ftplibLogin} instead (in a thread where the test
runs its client with C{deferToThread}).

L{pasvAddress} and L{retrOver} open a passive data connection the test
makes itself, as the tests of attacks on the data channel do;
L{breakOffUpload} resets an upload's data connection part-way.
"""

import ftplib
import re
import socket
import weakref

from tests.resets import hardClose
from tests.sockreads import readToEnd


def ftplibLogin(testCase, port, user="alice", password="secret", *,
                host="127.0.0.1", timeout=30, client=None, protect=False,
                binary=False):
    """
    Connect and log in with ftplib.

    Closing the client is a cleanup of C{testCase}, made before the
    connection is tried, so a failed test or login leaves no connection
    open; closing an ftplib client again is harmless, so a test may still
    C{quit} or C{close} it at the moment it means to. The cleanup holds
    the client weakly: one the test lets go of is closed when it is
    collected, as an ftplib client is (a test dropping a client whose
    socket it closed itself means the end of the connection).

    @param testCase: the running test (for C{addCleanup}).
    @type testCase: L{twisted.trial.unittest.TestCase}
    @param port: the server's TCP port.
    @param user: the user name sent with C{USER}.
    @param password: the password sent with C{PASS}.
    @param host: the server's address.
    @param timeout: the client's socket timeout, in seconds.
    @param client: an unconnected ftplib client to use (an
        C{ftplib.FTP_TLS}, which secures the control connection before
        logging in, or a subclass); a plain C{ftplib.FTP} if omitted.
    @param protect: call C{prot_p} after logging in (FTPS clients only).
    @param binary: send C{TYPE I} after logging in (and C{prot_p}).
    @return: the logged-in client.
    @rtype: L{ftplib.FTP}
    """
    ftp = ftplib.FTP() if client is None else client
    testCase.addCleanup(_closeIfAlive, weakref.ref(ftp))
    nameTimeouts(ftp, getattr(testCase, "timeoutContext", None))
    ftp.connect(host, port, timeout=timeout)
    ftp.login(user, password)
    if protect:
        ftp.prot_p()
    if binary:
        ftp.voidcmd("TYPE I")
    return ftp


def nameTimeouts(ftp, context=None):
    """
    Make a client's timeout waiting for a reply say which command it
    waited for (ftplib's C{TimeoutError} names none, and a traceback cut
    in the middle hides which call sent it), with what C{context} tells
    of the moment (the log of the storage server behind the FTP server).

    @param ftp: an C{ftplib.FTP}, its methods wrapped in place.
    @param context: a function of no argument giving text to add to the
        error, or C{None}.
    """
    sent = ["(the greeting)"]
    # The client held weakly and its class's methods: bound methods here
    # would make a cycle, and a client the test lets go of would stay
    # open until the garbage collector ran (see L{ftplibLogin}).
    client, kind = weakref.ref(ftp), type(ftp)

    def recordingPutcmd(line):
        verb = line.split(" ", 1)[0]
        sent[0] = verb if verb.upper() == "PASS" else line
        return kind.putcmd(client(), line)

    def namingGetmultiline():
        try:
            return kind.getmultiline(client())
        except TimeoutError as e:
            text = f"no reply to {sent[0]!r} within the client's timeout"
            if context is not None:
                text += "\n" + context()
            raise TimeoutError(text) from e

    ftp.putcmd = recordingPutcmd
    ftp.getmultiline = namingGetmultiline


def inLoggedInClient(testCase, session, quit=True, **login):
    """
    Run C{session(ftp)} in a thread with an ftplib client logged in to
    the test's loopback server (L{ftpkit.loopback.LoopbackServerMixin}).

    @param testCase: the running test, with its C{server} started.
    @param session: a function of the logged-in client.
    @param quit: send C{QUIT} once C{session} has returned.
    @param login: more keyword arguments of L{ftplibLogin}.
    @return: a Deferred firing with what C{session} returns.
    """
    def run():
        ftp = ftplibLogin(testCase, testCase.server.port, timeout=10,
                          **login)
        result = session(ftp)
        if quit:
            ftp.quit()
        return result
    return testCase.inThread(run)


def _closeIfAlive(reference):
    """
    Close an ftplib client unless it was collected already.

    @param reference: a weak reference to the client.
    @type reference: L{weakref.ref}
    """
    ftp = reference()
    if ftp is not None:
        ftp.close()


def replyCode(call, *args):
    """
    @param call: sends an FTP command (an ftplib method, blocking).
    @param args: what C{call} takes.
    @return: the first three characters of its final reply, or of the
        error reply it raised.
    """
    try:
        return str(call(*args))[:3]
    except ftplib.Error as e:
        return str(e)[:3]


def replyText(ftp, command):
    """
    @param ftp: a logged-in ftplib client.
    @param command: a command line, sent blocking.
    @return: its final reply, or the text of the error reply it raised.
    """
    try:
        return ftp.sendcmd(command)
    except ftplib.all_errors as e:
        return str(e)


def listingLines(ftp, command):
    """
    @param ftp: a logged-in ftplib client.
    @param command: a listing command (C{LIST d/*.txt}), sent blocking.
    @return: the lines of its listing, or the text of its error reply
        (C{5xx}).
    """
    lines = []
    try:
        ftp.retrlines(command, lines.append)
    except ftplib.error_perm as e:
        return str(e)
    return lines


def pasvAddress(ftp):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @return: C{(host, port)} from a PASV reply.
    """
    reply = ftp.sendcmd("PASV")
    numbers = [int(n) for n in re.search(r"(\d+,\d+,\d+,\d+,\d+,\d+)",
                                         reply).group(1).split(",")]
    return ".".join(map(str, numbers[:4])), numbers[4] * 256 + numbers[5]


def retrOver(ftp, host, port, name="hello.txt"):
    """
    C{RETR} a file over a passive connection the test opens itself
    (blocking).

    @param ftp: a logged-in C{ftplib.FTP}, after PASV or EPSV.
    @param host: the data connection's address.
    @param port: its port.
    @param name: the file to download.
    @return: C{(preliminary code, data, final code)}.
    """
    with socket.create_connection((host, port), timeout=10) as data:
        ftp.putcmd("RETR " + name)
        preliminary = ftp.getresp()
        received = readToEnd(data)
    return preliminary[:3], received, ftp.voidresp()[:3]


def breakOffUpload(client, name, chunk, count):
    """
    Send C{count} times C{chunk} as an upload, then reset the data
    connection (a client that died mid-upload).

    @param client: a logged-in C{ftplib.FTP}, quit afterwards.
    @param name: the file to C{STOR}.
    @param chunk: the bytes sent each time.
    @param count: how many times.
    @return: the final reply to the C{STOR}.
    """
    client.voidcmd("TYPE I")
    connection = client.transfercmd("STOR " + name)
    for _ in range(count):
        connection.sendall(chunk)
    hardClose(connection)
    try:
        reply = client.voidresp()
    except ftplib.Error as e:
        reply = str(e)
    client.quit()
    return reply
