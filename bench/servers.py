"""
Start and stop the servers under test, each in its own process group on
127.0.0.1 with its own root directory.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time

from bench.client import Client, ReplyError
from bench.fetchservers import unpackedPath
from bench.procstat import ProcessTree
from bench.workersready import waitForWorkers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ServerFailed(Exception):
    """
    A server did not start (or stopped answering).
    """


class PortTaken(Exception):
    """
    Another process listens on the port a server was to be started on.
    """


PORT_TRIES = 3
"""Ports a server is started on before L{PortTaken} is let through."""


def freePort():
    """
    @return: a TCP port on 127.0.0.1 that was free a moment ago.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def waitForListening(host, port, process, what, timeout=60.0):
    """
    Wait until something accepts connections on C{(host, port)}.

    @param host: the address to connect to.
    @param port: the port to connect to.
    @param process: the L{subprocess.Popen} that should listen there.
    @param what: its name in the error.
    @param timeout: seconds to wait at most.
    @raise ServerFailed: when C{process} exited or C{timeout} passed.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise ServerFailed(f"{what} did not listen within {timeout:.0f} s")


def boundElsewhere(port):
    """
    @param port: a TCP port on 127.0.0.1.
    @return: whether another socket holds it: listening, or bound without
        C{SO_REUSEADDR} (an outgoing connection's local port), so that a
        server binding it fails with C{EADDRINUSE}.
    """
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def listenerInode(port, table="/proc/net/tcp"):
    """
    @param port: a TCP port.
    @param table: the kernel's table of IPv4 TCP sockets.
    @return: the inode of the socket listening on 127.0.0.1:C{port} (or
        on every address), or C{None} when there is none.
    """
    wanted = {f"0100007F:{port:04X}", f"00000000:{port:04X}"}
    with open(table) as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] in wanted and fields[3] == "0A":
                return fields[9]
    return None


def holdsSocket(pids, inode):
    """
    @param pids: process ids.
    @param inode: a socket's inode, as L{listenerInode} gives it.
    @return: whether one of the processes has that socket open.
    """
    target = f"socket:[{inode}]"
    for pid in pids:
        directory = f"/proc/{pid}/fd"
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            try:
                if os.readlink(os.path.join(directory, name)) == target:
                    return True
            except OSError:
                continue
    return False


class Instance:
    """
    One running server process.

    @ivar server: the L{Server} it runs.
    @ivar port: its control port on 127.0.0.1.
    @ivar tls: whether it accepts C{AUTH TLS}.
    @ivar tree: its L{ProcessTree}.
    """

    def __init__(self, server, process, port, tls, log):
        """
        @param server: the L{Server}.
        @param process: the L{subprocess.Popen} (a process group leader).
        @param port: the control port.
        @param tls: whether TLS is configured.
        @param log: the path of its output file.
        """
        self.server = server
        self.process = process
        self.port = port
        self.tls = tls
        self.log = log
        self.tree = ProcessTree(process.pid, server.forksPerSession)

    def client(self, tls=None):
        """
        A logged-in blocking client.

        @param tls: an L{ssl.SSLContext} for explicit FTPS, or C{None}.
        @return: a L{bench.client.Client}.
        """
        return Client(self.port, self.server.user, self.server.password, tls)

    def alive(self):
        """
        @return: whether the process is still running.
        """
        return self.process.poll() is None

    def logTail(self, lines=15):
        """
        @param lines: how many lines.
        @return: the end of the server's output.
        """
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        """
        Terminate the process group, then kill it if it lingers.
        """
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def ftpUser():
    """
    The account vsftpd runs anonymous sessions as: its own C{ftp} user, or
    another whose home directory exists (vsftpd changes into it first).

    @return: a user name.
    """
    for name in ("ftp", "daemon"):
        try:
            if os.path.isdir(pwd.getpwnam(name).pw_dir):
                return name
        except KeyError:
            continue
    return "root"


class Server:
    """
    A kind of server: how to start it on a root directory. Each kind
    defines C{command(port, tls)}: the argument list that runs it in the
    foreground on that control port, with explicit FTPS if C{tls}.

    @cvar name: its name on the command line and in tables.
    @cvar user: the user name the benchmark logs in as.
    @cvar password: its password.
    @cvar forksPerSession: whether sessions live in child processes.
    @ivar root: the directory it serves.
    @ivar workdir: a directory for its configuration and logs.
    @ivar pem: the certificate and key for TLS.
    """

    user = "bench"
    password = "bench"
    forksPerSession = False
    directory = REPO

    @classmethod
    def installed(cls):
        """
        @return: whether this server can be started here.
        """
        return True

    def __init__(self, root, workdir, pem, extraArgs=()):
        """
        @param root: the directory to serve; its C{up} subdirectory takes
            uploads.
        @param workdir: a private directory for configuration and logs.
        @param pem: a PEM file holding a certificate and its key.
        @param extraArgs: additional command-line arguments.
        """
        self.root = root
        self.workdir = workdir
        self.pem = pem
        self.extraArgs = list(extraArgs)

    def start(self, tls=False, timeout=30):
        """
        Start the server and wait for its greeting and a login.

        @param tls: whether to enable explicit FTPS.
        @param timeout: seconds to wait.
        @return: an L{Instance}.
        @raise ServerFailed: if it exits or never answers.
        """
        for _ in range(PORT_TRIES - 1):
            try:
                return self._startOn(freePort(), tls, timeout)
            except PortTaken:
                continue
        return self._startOn(freePort(), tls, timeout)

    def _startOn(self, port, tls, timeout):
        """
        L{start} on one control port, picked free a moment before: another
        server may take it meanwhile (tests run in parallel), and one that
        logs the benchmark's user in would pass for this one, so the
        listener answering must be this server's.

        @raise PortTaken: when another process listens on C{port}, or
            the server exited because another socket held it (C{Address
            already in use}: taken between L{freePort} and its bind).
        """
        log = os.path.join(self.workdir, f"{self.name}-{port}.log")
        with open(log, "wb") as out:
            process = subprocess.Popen(
                self.command(port, tls), cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        instance = Instance(self, process, port, tls, log)
        deadline = time.monotonic() + timeout
        while True:
            if not instance.alive():
                if ("already in use" in instance.logTail().lower()
                        or boundElsewhere(port)):
                    raise PortTaken(port)
                raise ServerFailed(
                    f"{self.name} exited with {process.returncode}:\n"
                    + instance.logTail())
            inode = listenerInode(port)
            if inode is not None and not holdsSocket(
                    instance.tree.pids(), inode):
                instance.stop()
                raise PortTaken(port)
            try:
                instance.client().quit()
                return instance
            except (OSError, ReplyError) as e:
                if time.monotonic() > deadline:
                    instance.stop()
                    raise ServerFailed(f"{self.name} not answering: {e}\n"
                                       + instance.logTail()) from None
                time.sleep(0.1)


class Ftpkit(Server):
    """
    ftpkit, through C{python -m ftpkit}.
    """

    name = "ftpkit"

    def command(self, port, tls):
        args = [
            sys.executable, "-m", "ftpkit",
            "--listen", f"tcp:{port}:interface=127.0.0.1",
            "--root", self.root, "--auth", "memory:bench:bench",
            "--max-connections", "100000",
            "--max-connections-per-ip", "100000",
            "--idle-timeout", "3600",
        ]
        if tls:
            args += ["--tls-cert", self.pem, "--tls-key", self.pem]
        return args + self.extraArgs

    def start(self, tls=False, timeout=30):
        """L{Server.start}, then L{bench.workersready.waitForWorkers}."""
        instance = Server.start(self, tls, timeout)
        if not waitForWorkers(instance, timeout):
            instance.stop()
            raise ServerFailed(f"{self.name}: not every worker ready")
        return instance


class FtpkitTwoWorkers(Ftpkit):
    """
    ftpkit with C{--workers 2}, so that one run compares one and two
    worker processes.
    """

    name = "ftpkit-w2"

    def command(self, port, tls):
        return Ftpkit.command(self, port, tls) + ["--workers", "2"]


class FtpkitBaseline(Ftpkit):
    """
    ftpkit from another checkout (C{--baseline DIR}, say the commit before
    a change), so that one run compares the two versions side by side.

    @cvar directory: that checkout; C{python -m ftpkit} run there imports
        its C{ftpkit} first.
    """

    name = "ftpkit-base"
    directory = None

    @classmethod
    def installed(cls):
        return cls.directory is not None and os.path.isdir(
            os.path.join(cls.directory, "ftpkit"))


def baselineServers(directories):
    """
    The L{FtpkitBaseline} kinds of the C{--baseline} checkouts.

    @param directories: the checkouts, in the order given.
    @return: a dict, in that order, of names (C{ftpkit-base}, then
        C{ftpkit-base2}, C{ftpkit-base3}...) to server classes.
    """
    kinds = {}
    for i, directory in enumerate(directories, 1):
        name = FtpkitBaseline.name + (str(i) if i > 1 else "")
        kinds[name] = type("FtpkitBaseline", (FtpkitBaseline,), {
            "name": name, "directory": directory})
    return kinds


def twoWorkerBaselines(baselines):
    """
    The baselines run with C{--workers 2}, for a run that measures
    C{ftpkit-w2}: its own baseline.

    @param baselines: what L{baselineServers} returns.
    @return: a dict, in the same order, of each baseline's name with
        C{-w2} to a server class starting that checkout as
        L{FtpkitTwoWorkers} starts this one.
    """
    return {f"{name}-w2": type("FtpkitBaselineTwoWorkers", (kind,), {
        "name": f"{name}-w2", "command": FtpkitTwoWorkers.command})
        for name, kind in baselines.items()}


class Pyftpdlib(Server):
    """
    pyftpdlib, through L{bench.pyftpd}.

    @cvar options: L{bench.pyftpd}'s options, before its arguments.
    """

    name = "pyftpdlib"
    options = ()

    def command(self, port, tls):
        args = [sys.executable, "-m", "bench.pyftpd", *self.options,
                str(port), self.root]
        if tls:
            args.append(self.pem)
        return args + self.extraArgs


class PyftpdlibInfo(Pyftpdlib):
    """
    pyftpdlib logging as it does by default (L{bench.pyftpd}'s C{--info}):
    a line per connect, login, file transfer and disconnect, to its
    output file, as a user's redirected standard error. L{Pyftpdlib},
    which logs warnings only, is the one the docs compare against.
    """

    name = "pyftpdlib-info"
    options = ("--info",)


class SystemServer(Server):
    """
    A server from a Debian package: installed in C{/usr/sbin}, or unpacked
    by L{bench.fetchservers}.

    @cvar program: the executable's name in C{usr/sbin}.
    """

    program = None

    @classmethod
    def binary(cls):
        """
        @return: the executable's path: the installed one if there is one,
            else the unpacked one.
        """
        installed = os.path.join("/usr/sbin", cls.program)
        if os.access(installed, os.X_OK):
            return installed
        return unpackedPath("usr", "sbin", cls.program)

    @classmethod
    def installed(cls):
        return os.access(cls.binary(), os.X_OK)


class Vsftpd(SystemServer):
    """
    vsftpd, anonymous with uploads, from a generated configuration.
    """

    name = "vsftpd"
    program = "vsftpd"
    user = "anonymous"
    forksPerSession = True

    def command(self, port, tls):
        empty = os.path.join(self.workdir, "vsftpd-empty")
        os.makedirs(empty, mode=0o755, exist_ok=True)
        settings = {
            "listen": "YES", "listen_ipv6": "NO",
            "listen_address": "127.0.0.1", "listen_port": port,
            "background": "NO", "local_enable": "NO",
            "anonymous_enable": "YES", "anon_root": self.root,
            "anon_upload_enable": "YES", "write_enable": "YES",
            "anon_umask": "022", "ftp_username": ftpUser(),
            "nopriv_user": "nobody", "secure_chroot_dir": empty,
            "seccomp_sandbox": "NO", "max_clients": 0, "max_per_ip": 0,
            "idle_session_timeout": 3600, "data_connection_timeout": 3600,
            "xferlog_enable": "NO", "dirmessage_enable": "NO",
            "ssl_enable": "YES" if tls else "NO",
        }
        if tls:
            settings.update({
                "allow_anon_ssl": "YES", "force_anon_data_ssl": "NO",
                "force_anon_logins_ssl": "NO", "require_ssl_reuse": "NO",
                "rsa_cert_file": self.pem, "rsa_private_key_file": self.pem,
                "ssl_ciphers": "HIGH",
            })
        conf = os.path.join(self.workdir, f"vsftpd-{port}.conf")
        with open(conf, "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in settings.items())
        return [self.binary(), conf] + self.extraArgs


class ProFTPD(SystemServer):
    """
    ProFTPD, with the benchmark's user in a private C{AuthUserFile} and
    C{mod_tls} loaded for FTPS.
    """

    name = "proftpd"
    program = "proftpd"
    forksPerSession = True

    def command(self, port, tls):
        user = pwd.getpwnam(ftpUser())
        base = os.path.join(self.workdir, f"proftpd-{port}")
        passwd = base + ".passwd"
        with open(passwd, "w") as f:
            f.write(f"{self.user}:{cryptPassword(self.password)}:"
                    f"{user.pw_uid}:{user.pw_gid}::{self.root}:/bin/sh\n")
        os.chmod(passwd, 0o600)
        lines = [
            'ServerName "bench"', "ServerType standalone",
            "DefaultServer on", f"Port {port}", "DefaultAddress 127.0.0.1",
            "SocketBindTight on", "UseIPv6 off", f"User {user.pw_name}",
            "Group nogroup", "Umask 022", "MaxInstances none",
            "MaxClients none", "MaxClientsPerHost none",
            "TimeoutIdle 3600", "TimeoutNoTransfer 3600",
            "AllowOverwrite on", "AuthOrder mod_auth_file.c",
            f"AuthUserFile {passwd}", "RequireValidShell off",
            "DefaultRoot ~", "UseReverseDNS off", "DelayEngine off",
            "WtmpLog off", "TransferLog none", f"PidFile {base}.pid",
            f"ScoreboardFile {base}.scoreboard", f"SystemLog {base}.log",
        ]
        if tls:
            lines += [
                f"ModulePath {self.modules()}", "LoadModule mod_tls.c",
                "TLSEngine on", "TLSProtocol TLSv1.2 TLSv1.3",
                f"TLSRSACertificateFile {self.pem}",
                f"TLSRSACertificateKeyFile {self.pem}",
                "TLSOptions NoSessionReuseRequired", "TLSVerifyClient off",
                "TLSRequired off", "TLSRenegotiate none",
            ]
        conf = base + ".conf"
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [self.binary(), "-n", "-q", "-c", conf] + self.extraArgs

    @classmethod
    def modules(cls):
        """
        @return: the directory holding C{mod_tls.so}.
        """
        for directory in ("/usr/lib/proftpd",
                          unpackedPath("usr", "lib", "proftpd")):
            if os.path.exists(os.path.join(directory, "mod_tls.so")):
                return directory
        return "/usr/lib/proftpd"


class PureFTPd(SystemServer):
    """
    Pure-FTPd (a process per session, like vsftpd), with the benchmark's
    user in a private PureDB. The password is hashed with MD5 crypt,
    as for ProFTPD: C{pure-pw}'s own argon2id hash costs seconds a login,
    which would measure the hash instead of the server.
    """

    name = "pure-ftpd"
    program = "pure-ftpd"
    forksPerSession = True

    def command(self, port, tls):
        user = pwd.getpwnam(ftpUser())
        base = os.path.join(self.workdir, f"pure-ftpd-{port}")
        with open(base + ".passwd", "w") as f:
            f.write(f"{self.user}:{cryptPassword(self.password)}:"
                    f"{user.pw_uid}:{user.pw_gid}::{self.root}/./"
                    + ":" * 12 + "\n")
        pw = shutil.which("pure-pw") or unpackedPath("usr", "bin", "pure-pw")
        subprocess.run([pw, "mkdb", base + ".pdb", "-f", base + ".passwd"],
                       check=True, capture_output=True)
        args = [self.binary(), "-S", f"127.0.0.1,{port}",
                "-l", f"puredb:{base}.pdb", "-E", "-H", "-A",
                "-c", "5000", "-C", "5000", "-I", "60", "-u", "1",
                "-L", "100000:8",
                "-g", base + ".pid"]
        if tls:
            args += ["-Y", "1", "-2", self.pem]
        return args + self.extraArgs


def cryptPassword(password):
    """
    @param password: a clear-text password.
    @return: its MD5 crypt(3) hash (the cheapest both accept), for
        ProFTPD's C{AuthUserFile} and Pure-FTPd's PureDB.
    """
    done = subprocess.run(["openssl", "passwd", "-1", "-stdin"],
                          input=password, text=True, capture_output=True,
                          check=True)
    return done.stdout.strip()


SERVERS = {cls.name: cls for cls in (Ftpkit, FtpkitTwoWorkers,
                                     FtpkitBaseline, Pyftpdlib,
                                     PyftpdlibInfo, Vsftpd, ProFTPD,
                                     PureFTPd)}
