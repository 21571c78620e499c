"""
A client inside a network namespace, driven by a test over its standard
input and output (L{tests.netns.Agent}): each line in is a JSON list, the
name of a function of L{CALLS} and its arguments; each line out is
C{["ok", result]} or C{["error", "Type: message"]}.

What lives from one call to the next (sessions, listeners, strangers'
connections) is kept in L{_KEPT}, named by numbers the calls return.
"""

import ftplib
import itertools
import json
import socket
import ssl
import sys
import threading

_KEPT = {}
_NUMBERS = itertools.count(1)
TIMEOUT = 20
"""Seconds any socket of the agent waits."""


def _keep(thing):
    number = next(_NUMBERS)
    _KEPT[number] = thing
    return number


def _context():
    """
    @return: a client context trusting any certificate (as
        L{tests.tlssupport.clientContext}, not imported here: this
        process starts in each namespace, and lighter is faster).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Client(ftplib.FTP_TLS):
    """
    ftplib opening its data connections with the command C{mode} says
    (C{PASV}, C{EPSV}, C{PORT} or C{EPRT}; C{EPRT%}: C{EPRT} naming a
    link-local address with its zone), whatever the address family.
    A passive data connection goes to the control connection's peer, as
    ftplib's does by default.

    @ivar setups: the reply to each such command.
    @ivar pending: the reply of a passive command sent already (by
        L{passive}), for the next transfer to use, or C{None}.
    """

    mode = "EPSV"
    pending = None

    def makepasv(self):
        """
        @return: the address to connect to.
        """
        reply, self.pending = self.pending or self.sendcmd(self.mode), None
        self.setups.append(reply)
        peer = self.sock.getpeername()
        if self.mode == "PASV":
            return peer[0], ftplib.parse227(reply)[1]
        if peer[3:] and peer[3]:
            # A link-local address: the zone names its link.
            peer = (f"{peer[0]}%{peer[3]}",)
        return ftplib.parse229(reply, peer)

    def makeport(self):
        """
        @return: a socket listening on the control connection's local
            address, named with C{PORT} or C{EPRT}.
        """
        local = self.sock.getsockname()
        listener = socket.create_server((local[0], 0, *local[2:]),
                                        family=self.af, backlog=1)
        host, port = listener.getsockname()[:2]
        if self.mode == "PORT":
            self.setups.append(self.sendport(host, port))
        elif self.mode == "EPRT%":
            # The address with its zone (the scope's number here), as a
            # client that names its address from getnameinfo sends it.
            zone = f"%{local[3]}" if local[3:] and local[3] else ""
            self.setups.append(self.sendeprt(host + zone, port))
        else:
            self.setups.append(self.sendeprt(host, port))
        listener.settimeout(self.timeout)
        return listener


def login(host, port, tls):
    """
    Log in as alice (over explicit FTPS with C{PROT P} if C{tls}).

    @return: the session's number.
    """
    client = Client(context=_context(), timeout=TIMEOUT)
    client.setups = []
    client.connect(host, port)
    client.login("alice", "secret", secure=tls)
    if tls:
        client.prot_p()
    client.voidcmd("TYPE I")
    return _keep(client)


def command(session, line):
    """
    Send a command line.

    @return: its whole reply, whatever its code.
    """
    client = _KEPT[session]
    client.putcmd(line)
    return client.getmultiline()


def passive(session, mode):
    """
    Send C{PASV} or C{EPSV} now, for the next transfer in that mode.

    @return: the reply.
    """
    client = _KEPT[session]
    client.pending = client.sendcmd(mode)
    return client.pending


def _transfer(session, mode, run):
    client = _KEPT[session]
    client.mode = mode
    client.passiveserver = mode in ("PASV", "EPSV")
    del client.setups[:]
    end = run(client)
    return {"setup": client.setups[0], "end": end}


def download(session, mode, name, path):
    """
    C{RETR} C{name} into the local file C{path}.

    @return: C{{"setup": reply, "end": reply}}: the replies to the
        command that set up the data connection and the final one.
    """
    with open(path, "wb") as f:
        return _transfer(session, mode,
                         lambda client: client.retrbinary(f"RETR {name}",
                                                          f.write))


def upload(session, mode, path, name):
    """
    C{STOR} the local file C{path} as C{name}.

    @return: as L{download}.
    """
    with open(path, "rb") as f:
        return _transfer(session, mode,
                         lambda client: client.storbinary(f"STOR {name}", f))


def listing(session, mode, name):
    """
    C{LIST} C{name}.

    @return: C{{"setup":, "end":, "lines": its lines}}.
    """
    lines = []
    result = _transfer(session, mode,
                       lambda client: client.retrlines(f"LIST {name}",
                                                       lines.append))
    return {**result, "lines": lines}


def _connect(host, port, source):
    return socket.create_connection(
        (host, port), timeout=TIMEOUT,
        source_address=None if source is None else (source, 0))


def greet(host, port, source=None):
    """
    Connect (from the address C{source} if given) and read the greeting,
    leaving the connection open.

    @return: C{[number, first reply line]}.
    """
    sock = _connect(host, port, source)
    return [_keep(sock), sock.makefile("rb").readline().decode()]


def intrude(host, port, tls, source=None):
    """
    Connect (from the address C{source} if given) to someone else's data
    port, then (in a thread, so that the test goes on) try a TLS
    handshake if C{tls}, and read what comes.

    @return: the intrusion's number, for L{intruded}.
    """
    outcome = {"bytes": 0, "error": None}
    try:
        sock = _connect(host, port, source)
    except ConnectionResetError as e:
        # A refusal is a reset, which can come before connect returns.
        outcome["error"] = f"{type(e).__name__}: {e}"
        return _keep((None, outcome))

    def read():
        stream = sock
        try:
            if tls:
                stream = _context().wrap_socket(sock)
            while chunk := stream.recv(65536):
                outcome["bytes"] += len(chunk)
        except (OSError, ssl.SSLError) as e:
            outcome["error"] = f"{type(e).__name__}: {e}"
        finally:
            stream.close()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return _keep((thread, outcome))


def intruded(number):
    """
    Wait for an intrusion's end.

    @return: C{{"bytes": count read, "error": what ended it or None}}.
    """
    thread, outcome = _KEPT.pop(number)
    if thread is not None:
        thread.join(TIMEOUT + 5)
    return outcome


def listen(host):
    """
    Listen on C{host} (for a server that should not connect).

    @return: C{[number, port]}.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, 0), family=family)
    listener.setblocking(False)
    return [_keep(listener), listener.getsockname()[1]]


def accepted(number):
    """
    @return: how many connections wait on a listener of L{listen}.
    """
    count = 0
    while True:
        try:
            _KEPT[number].accept()[0].close()
        except BlockingIOError:
            return count
        count += 1


CALLS = {call.__name__: call for call in (
    login, command, passive, download, upload, listing, greet, intrude, intruded,
    listen, accepted)}


def main():
    """
    Answer calls until the input ends.
    """
    for line in sys.stdin:
        name, args = json.loads(line)
        try:
            answer = ["ok", CALLS[name](*args)]
        except Exception as e:
            answer = ["error", f"{type(e).__name__}: {e}"]
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
