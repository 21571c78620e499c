"""
A server reached over a network: clients run in network namespaces of
their own (L{tests.netns}), each joined to this host by a veth pair, and
reach a server process listening on the host side's addresses only, IPv4
and IPv6, as real users do from other machines; every other integration
test runs its clients on 127.0.0.1 or ::1, the server's own addresses.

The clients are ftplib (in L{tests.netagent}), curl and lftp, run with
C{ip netns exec}: passive (C{PASV}, C{EPSV}) and active (C{PORT},
C{EPRT}: the server connects into the namespace) data connections, in
clear and over explicit FTPS with C{PROT P}, in one process and under
C{--workers 2}; ftplib over link-local IPv6 addresses too (C{fe80::},
which a socket reaches only with the zone of its link). A second
namespace plays a third host: C{PORT}/C{EPRT} naming it, or the server,
are refused; connecting first to a client's passive port gets it
nothing; and it is a distinct address for C{--max-connections-per-ip}.

Skipped where network namespaces cannot be made (not root, no
C{CAP_NET_ADMIN}, no C{ip}).
"""

import os
import shutil
import subprocess

from twisted.trial import unittest

from tests.netns import LINK_LOCAL, TIMEOUT, Agent, Network, inNamespace, ip
from tests.scratch import readLocal, scratchDirectory, writeLocal
from tests.serverprocess import ServerProcess
from tests.tlssupport import makeCertificate

PAYLOAD = os.urandom(256 * 1024 + 7)
"""The file every test downloads and uploads."""

NAT_ADDRESS = "198.51.100.77"
"""The C{--passive-address} of the NAT test (TEST-NET-2: routed nowhere
here)."""


def curlActiveFTPS(curl):
    """
    @param curl: curl's path.
    @return: whether this curl can make active FTPS data connections:
        7.87 and 7.88 accept the server's connection but never start TLS
        on it, and time out (curl's issue 10666, fixed in 8.0).
    """
    version = subprocess.run([curl, "--version"], capture_output=True,
                             text=True).stdout.split()[1]
    return not version.startswith(("7.87.", "7.88."))


def hostPort(address, port):
    """
    @param address: an IPv4 address.
    @param port: a port.
    @return: the C{h1,h2,h3,h4,p1,p2} form of C{PORT} and C{227}.
    """
    return ",".join([*address.split("."), str(port >> 8), str(port & 255)])


def url(address, port, path=""):
    """
    @return: an C{ftp://} URL of C{address} (bracketed when IPv6).
    """
    host = f"[{address}]" if ":" in address else address
    return f"ftp://{host}:{port}/{path}"


def passivePort(reply):
    """
    @param reply: a C{227} or C{229} reply.
    @return: the port it names.
    """
    if reply.startswith("229"):
        return int(reply.split("|")[3])
    numbers = reply[reply.index("(") + 1:reply.index(")")].split(",")
    return int(numbers[4]) * 256 + int(numbers[5])


class NetworkMixin:
    """
    Two namespaces on links of their own, C{self.client} and
    C{self.stranger} (L{tests.netns.Host}s), an L{Agent} in each
    (C{self.agents}, in that order), a server root with the files the
    tests move, and a certificate.

    @cvar options: ftpkit options every server of the class gets.
    """

    options = ()
    timeout = 120

    def setUp(self):
        self.client, self.stranger = Network(self).hosts
        self.agents = [Agent(self, host.namespace)
                       for host in (self.client, self.stranger)]
        self.root = scratchDirectory(self)
        self.local = scratchDirectory(self)
        self.both = makeCertificate(self.local)[2]
        writeLocal(os.path.join(self.root, "big.bin"), PAYLOAD)
        writeLocal(os.path.join(self.root, "empty.bin"), b"")
        os.mkdir(os.path.join(self.root, "emptydir"))
        self.upload = os.path.join(self.local, "upload.bin")
        writeLocal(self.upload, PAYLOAD)
        self.emptyUpload = os.path.join(self.local, "upload-empty.bin")
        writeLocal(self.emptyUpload, b"")

    def serve(self, *options):
        """
        Start a server listening on the host side of both links (one
        port, both families; the client's link-local address too), and
        nowhere else.

        @return: its L{ServerProcess}.
        """
        def listen(port):
            listeners = []
            for host in (self.client, self.stranger):
                interface = host.serverIPv6.replace(":", "\\:")
                listeners += [
                    "--listen", f"tcp:{port}:interface={host.serverIPv4}",
                    "--listen", f"tcp6:{port}:interface={interface}"]
            interface = self.client.serverLinkLocal.replace(":", "\\:")
            return listeners + ["--listen",
                                f"tcp6:{port}:interface={interface}"]

        server = ServerProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.both, *self.options, *options],
            listen=listen, host=self.client.serverIPv4)
        server.waitForGreeting()
        return server

    def runIn(self, host, argv):
        """
        Run a program in C{host}'s namespace.

        @return: its C{subprocess.CompletedProcess} (output as text).
        """
        return subprocess.run(inNamespace(host.namespace, argv),
                              capture_output=True, text=True,
                              timeout=2 * TIMEOUT)

    def assertServerHas(self, name, data):
        """
        The server's root holds C{name} with C{data}.
        """
        self.assertEqual(readLocal(os.path.join(self.root, name)), data,
                         name)

    def assertSetup(self, reply, mode, server):
        """
        C{reply} answered a data-connection setup in C{mode} as it should
        for a client that reached the server at C{server}: a C{227} names
        that address (not 127.0.0.1, not 0.0.0.0).
        """
        expected = {"PASV": "227", "EPSV": "229"}.get(mode, "200")
        self.assertTrue(reply.startswith(expected), (mode, reply))
        if mode == "PASV":
            self.assertIn(f"({server.replace('.', ',')},", reply)

    def fresh(self, name):
        """
        @return: the path of C{name} in the local scratch directory, where
            no file is (a client that fails may not create its output).
        """
        path = os.path.join(self.local, name)
        if os.path.exists(path):
            os.remove(path)
        return path


class TransferChecks:
    """
    Transfers by ftplib, curl and lftp from the client's namespace, each
    way, with each kind of data connection, in clear and under C{PROT P};
    a stranger's theft of a passive port, and C{PORT} to hosts other than
    the client. Each check takes a running server.
    """

    def ftplibSession(self, agent, address, port, tls, modes):
        """
        In one session to C{address}, for each mode: download the payload
        and an empty file, upload the payload and an empty file, and list
        an empty directory; each byte-equal.
        """
        session = agent.call("login", address, port, tls)
        for mode in modes:
            got, name = self.fresh("got.bin"), f"{mode}-{tls}"
            setup = agent.call("download", session, mode, "big.bin", got)
            self.assertSetup(setup["setup"], mode, address)
            self.assertEqual(readLocal(got), PAYLOAD, mode)
            agent.call("download", session, mode, "empty.bin", got)
            self.assertEqual(readLocal(got), b"", mode)
            agent.call("upload", session, mode, self.upload, f"{name}.bin")
            self.assertServerHas(f"{name}.bin", PAYLOAD)
            agent.call("upload", session, mode, self.emptyUpload,
                       f"{name}-empty.bin")
            self.assertServerHas(f"{name}-empty.bin", b"")
            result = agent.call("listing", session, mode, "emptydir")
            self.assertEqual(result["lines"], [], mode)
            self.assertTrue(result["end"].startswith("226"), result)

    def checkFtplib(self, server):
        """
        ftplib over IPv4 (C{PASV}, C{EPSV}, C{PORT}, C{EPRT}) and IPv6
        (C{EPSV}, C{EPRT}; C{PASV} gets C{522}), in clear and over FTPS.
        The C{227} names the address the client reached, whichever of the
        server's it is: from the stranger's namespace, its own link's host
        side, or the client's link's, reached through its own; C{PORT}
        connects back from either.
        """
        client, stranger = self.agents
        for tls in (False, True):
            self.ftplibSession(client, self.client.serverIPv4, server.port,
                               tls, ["PASV", "EPSV", "PORT", "EPRT"])
            self.ftplibSession(client, self.client.serverIPv6, server.port,
                               tls, ["EPSV", "EPRT"])
        session = client.call("login", self.client.serverIPv6, server.port,
                              False)
        self.assertTrue(client.call("command", session, "PASV")
                        .startswith("522"))
        for address in (self.stranger.serverIPv4, self.client.serverIPv4):
            session = stranger.call("login", address, server.port, False)
            for mode in ("PASV", "PORT"):
                got = self.fresh("got.bin")
                setup = stranger.call("download", session, mode, "big.bin",
                                      got)
                self.assertSetup(setup["setup"], mode, address)
                self.assertEqual(readLocal(got), PAYLOAD)

    def checkLinkLocal(self, server):
        """
        ftplib over the link-local IPv6 addresses of the client's link
        (C{fe80::}, meaningful with a zone only), with C{EPSV} and
        C{EPRT}, in clear and over FTPS; C{EPRT} naming the client's
        address with its zone too (it got C{501}). Another address of the
        link (the server's own) stays foreign, zone or not.
        """
        client = self.agents[0]
        for tls in (False, True):
            self.ftplibSession(client, self.client.reachLinkLocal,
                               server.port, tls, ["EPSV", "EPRT", "EPRT%"])
        session = client.call("login", self.client.reachLinkLocal,
                              server.port, False)
        for zone in ("", "%1", f"%{self.client.link}n"):
            line = f"EPRT |2|{LINK_LOCAL}1{zone}|{server.port}|"
            reply = client.call("command", session, line)
            self.assertTrue(reply.startswith("501 Data connection only"),
                            (line, reply))

    def curl(self, curl, address, port, mode, tls):
        """
        One curl run of the transfers of L{ftplibSession}.
        """
        options = ["-sS", "--fail", "--max-time", str(TIMEOUT),
                   "-u", "alice:secret",
                   *{"PASV": ["--disable-epsv"], "EPSV": [],
                     "PORT": ["-P", "-", "--disable-eprt"],
                     "EPRT": ["-P", "-"]}[mode],
                   *(["--ssl-reqd", "-k"] if tls else [])]
        got, empty = self.fresh("curl.bin"), self.fresh("curl-empty.bin")
        listed, name = self.fresh("curl-list.txt"), f"curl-{mode}-{tls}"
        transfers = [
            ["-o", got, url(address, port, "big.bin")],
            ["-o", empty, url(address, port, "empty.bin")],
            ["-T", self.upload, url(address, port, f"{name}.bin")],
            ["-T", self.emptyUpload, url(address, port, f"{name}-0.bin")],
            ["-o", listed, url(address, port, "emptydir/")]]
        argv = [curl, "--fail-early"]
        for transfer in transfers:
            argv += [*options, *transfer, "--next"]
        done = self.runIn(self.client, argv[:-1])
        self.assertEqual(done.returncode, 0, (mode, tls, done.stderr))
        self.assertEqual(readLocal(got), PAYLOAD)
        self.assertEqual(readLocal(empty), b"")
        self.assertEqual(readLocal(listed), b"")
        self.assertServerHas(f"{name}.bin", PAYLOAD)
        self.assertServerHas(f"{name}-0.bin", b"")

    def checkCurl(self, server):
        """
        curl over IPv4 (C{PASV}, C{EPSV}, C{PORT}, C{EPRT}) and IPv6
        (C{EPSV}, C{EPRT}), in clear and over FTPS (but for active FTPS
        where this curl cannot: L{curlActiveFTPS}).
        """
        curl = shutil.which("curl")
        if curl is None:
            raise unittest.SkipTest("curl is not installed")
        activeFTPS = curlActiveFTPS(curl)
        for address, modes in ((self.client.serverIPv4,
                                ["PASV", "EPSV", "PORT", "EPRT"]),
                               (self.client.serverIPv6, ["EPSV", "EPRT"])):
            for mode in modes:
                for tls in (False, True):
                    if activeFTPS or not tls or mode in ("PASV", "EPSV"):
                        self.curl(curl, address, server.port, mode, tls)

    def lftp(self, lftp, address, port, passive, tls):
        """
        One lftp run of the transfers of L{ftplibSession}.

        @param passive: C{None} for active mode, else whether it prefers
            C{EPSV}.
        """
        got, empty = self.fresh("lftp.bin"), self.fresh("lftp-empty.bin")
        name = f"lftp-{passive}-{tls}"
        settings = {
            "cmd:fail-exit": "yes", "xfer:clobber": "yes",
            "net:max-retries": "1", "net:timeout": str(TIMEOUT),
            "ftp:ssl-allow": tls, "ftp:ssl-force": tls,
            "ftp:ssl-protect-data": tls, "ssl:verify-certificate": "no",
            "ftp:passive-mode": passive is not None,
            "ftp:prefer-epsv": bool(passive)}
        script = "".join(f"set {key} {str(value).lower()}; "
                         for key, value in settings.items())
        script += (f"open -u alice,secret {url(address, port)}; "
                   f"get big.bin -o {got}; get empty.bin -o {empty}; "
                   f"put {self.upload} -o {name}.bin; "
                   f"put {self.emptyUpload} -o {name}-0.bin; "
                   "cls emptydir/; quit")
        done = self.runIn(self.client, [lftp, "-c", script])
        self.assertEqual(done.returncode, 0, (passive, tls, done.stderr))
        self.assertEqual(done.stdout, "")
        self.assertEqual(readLocal(got), PAYLOAD)
        self.assertEqual(readLocal(empty), b"")
        self.assertServerHas(f"{name}.bin", PAYLOAD)
        self.assertServerHas(f"{name}-0.bin", b"")

    def checkLftp(self, server):
        """
        lftp over IPv4 and IPv6, passive (with C{PASV} or C{EPSV} on
        IPv4) and active, in clear and over FTPS.
        """
        lftp = shutil.which("lftp")
        if lftp is None:
            raise unittest.SkipTest("lftp is not installed")
        for address, modes in ((self.client.serverIPv4, [False, True, None]),
                               (self.client.serverIPv6, [True, None])):
            for passive in modes:
                for tls in (False, True):
                    self.lftp(lftp, address, server.port, passive, tls)

    def checkStranger(self, server):
        """
        A stranger connecting first to a client's passive port gets none
        of its data, in clear or under C{PROT P}, over IPv4 or IPv6,
        whether it is on another host or the client's neighbour in its
        C{/64} (one client for the limits, not for its data); the client
        still gets its file, and the server logs the refusal.
        """
        client, stranger = self.agents
        refusals = server.log().count("refused passive data connection")
        for tls in (False, True):
            for address, mode, thief, source in (
                    (self.client.serverIPv4, "PASV", stranger, None),
                    (self.client.serverIPv6, "EPSV", stranger, None),
                    (self.client.serverIPv6, "EPSV", client,
                     self.client.neighbour)):
                session = client.call("login", address, server.port, tls)
                port = passivePort(client.call("passive", session, mode))
                intrusion = thief.call("intrude", address, port, tls, source)
                got = self.fresh("got.bin")
                client.call("download", session, mode, "big.bin", got)
                self.assertEqual(readLocal(got), PAYLOAD)
                outcome = thief.call("intruded", intrusion)
                self.assertEqual(outcome["bytes"], 0, outcome)
                refusals += 1
                server.waitForLog("refused passive data connection",
                                  refusals)
        log = server.log()
        for thief in (self.stranger.ipv4, self.stranger.ipv6,
                      self.client.neighbour):
            self.assertIn(f"refused passive data connection from {thief} ",
                          log)

    def checkForeignPorts(self, server):
        """
        C{PORT} and C{EPRT} naming another host (the stranger, listening)
        or any of the server's own addresses get C{501}, over IPv4 and
        IPv6; the transfer command that follows connects nowhere.
        """
        client, stranger = self.agents
        for family, address, third, own in (
                (1, self.client.serverIPv4, self.stranger.ipv4,
                 [self.client.serverIPv4, self.stranger.serverIPv4]),
                (2, self.client.serverIPv6, self.stranger.ipv6,
                 [self.client.serverIPv6, self.stranger.serverIPv6])):
            session = client.call("login", address, server.port, False)
            listener, port = stranger.call("listen", third)
            for host, target in [(third, port),
                                 *((each, server.port) for each in own)]:
                lines = [f"EPRT |{family}|{host}|{target}|"]
                if family == 1:
                    lines.append(f"PORT {hostPort(host, target)}")
                for line in lines:
                    reply = client.call("command", session, line)
                    self.assertTrue(reply.startswith("501"), (line, reply))
                    reply = client.call("command", session, "RETR big.bin")
                    self.assertTrue(reply.startswith(("425", "503")), reply)
            self.assertEqual(stranger.call("accepted", listener), 0)
        # A worker's lines reach the log a moment later.
        server.waitForLog(f"refused PORT/EPRT to [{self.stranger.ipv6}]")


class OneProcessTransferTests(TransferChecks, NetworkMixin,
                              unittest.TestCase):
    """
    The checks against a server in one process, a test for each client
    (and one for the third host's).
    """

    def test_ftplib(self):
        """
        L{TransferChecks.checkFtplib} and L{TransferChecks.checkLinkLocal}.
        """
        server = self.serve()
        self.checkFtplib(server)
        self.checkLinkLocal(server)

    def test_curl(self):
        """
        L{TransferChecks.checkCurl}.
        """
        self.checkCurl(self.serve())

    def test_lftp(self):
        """
        L{TransferChecks.checkLftp}.
        """
        self.checkLftp(self.serve())

    def test_thirdHost(self):
        """
        L{TransferChecks.checkStranger} and
        L{TransferChecks.checkForeignPorts}.
        """
        server = self.serve()
        self.checkStranger(server)
        self.checkForeignPorts(server)


class WorkersTransferTests(TransferChecks, NetworkMixin, unittest.TestCase):
    """
    The transfers against C{--workers 2}, where an acceptor hands
    connections to workers, which listen and connect for data.
    """

    options = ("--workers", "2")

    def test_transfers(self):
        """
        All of them against one server (a C{--workers} server is slow to
        start); those of a client not installed are left out.
        """
        server = self.serve()
        self.checkFtplib(server)
        self.checkLinkLocal(server)
        self.checkStranger(server)
        self.checkForeignPorts(server)
        for check in (self.checkCurl, self.checkLftp):
            try:
                check(server)
            except unittest.SkipTest:
                pass


class NetworkPolicyTests(NetworkMixin, unittest.TestCase):
    """
    What the server allows clients of real, distinct addresses.
    """

    def test_natPassiveAddress(self):
        """
        With C{--passive-address}, C{227} names that address (a NAT's),
        not the one reached; C{EPSV} still works, and so does C{PASV}
        for a client that connects to the control connection's peer.
        """
        server = self.serve("--passive-address", NAT_ADDRESS)
        agent = self.agents[0]
        session = agent.call("login", self.client.serverIPv4, server.port,
                             True)
        got = self.fresh("got.bin")
        for mode in ("PASV", "EPSV"):
            agent.call("download", session, mode, "big.bin", got)
            self.assertEqual(readLocal(got), PAYLOAD)
        self.assertIn(f"({NAT_ADDRESS.replace('.', ',')},",
                      agent.call("passive", session, "PASV"))
        session = agent.call("login", self.client.serverIPv6, server.port,
                             False)
        setup = agent.call("download", session, "EPSV", "big.bin", got)
        self.assertTrue(setup["setup"].startswith("229"), setup)
        self.assertEqual(readLocal(got), PAYLOAD)

    def test_connectionsPerAddress(self):
        """
        C{--max-connections-per-ip 1} counts each real address apart: the
        client's second connection gets C{421}, the stranger's first and
        the client's first over IPv6 get C{220}; the client's neighbour
        in its C{/64} is the same client (C{--ipv6-prefix-length 64}).
        """
        server = self.serve("--max-connections-per-ip", "1")
        client, stranger = self.agents
        for address in (self.client.serverIPv4, self.client.serverIPv6):
            self.assertTrue(client.call("greet", address, server.port)[1]
                            .startswith("220"))
            self.assertTrue(client.call("greet", address, server.port)[1]
                            .startswith("421"))
            self.assertTrue(stranger.call("greet", address, server.port)[1]
                            .startswith("220"))
        self.assertTrue(client.call("greet", self.client.serverIPv6,
                                    server.port, self.client.neighbour)[1]
                        .startswith("421"))


class PrivateNetworkTests(unittest.TestCase):
    """
    The network the other tests build (L{tests.netns.Network}).
    """

    def test_linkLocalAddresses(self):
        """
        Each end of each link has one link-local address, L{LINK_LOCAL}'s,
        usable from the start (not tentative): a client's link-local
        connections all come from it. With another, the kernel's own, the
        namespace's source address changed once that one was through
        duplicate address detection, and the server refused a passive
        data connection made after it in a session opened before it.
        """
        for host in Network(self).hosts:
            for side, prefix, number in (("h", [], "1"),
                                         ("n", ["-n", host.namespace], "2")):
                lines = ip(*prefix, "-o", "-6", "addr", "show", "dev",
                           host.link + side, "scope", "link").splitlines()
                self.assertEqual(
                    [line.split()[3] for line in lines],
                    [f"{LINK_LOCAL}{number}/64"], lines)
                self.assertNotIn("tentative", "".join(lines))
