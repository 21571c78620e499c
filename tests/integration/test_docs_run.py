"""
The operator's pages' commands run as written (ports and paths moved to
the test's own), and what they print compared with what the pages say:
C{tests.integration.test_docs_commands} only parses the C{twistd} lines.
"""

import ftplib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from twisted.trial import unittest

from tests.integration.test_docs import DOCS, literalBlockAfter
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.twistdrun import SOURCE


def readPage(name):
    """
    @param name: a page of C{docs/}.
    @return: its text.
    """
    with open(os.path.join(DOCS, name), encoding="utf-8") as f:
        return f.read()


def needProgram(name):
    """
    Skip the test unless the program is installed.

    @param name: the program's name.
    @return: its path.
    """
    path = shutil.which(name)
    if path is None:
        raise unittest.SkipTest(f"{name} is not installed")
    return path


def runShell(script, cwd, stdin=""):
    """
    Run a page's commands with C{sh}, this checkout's C{ftpkit} first on
    C{sys.path} and C{python} being this interpreter.

    @param script: the commands.
    @param cwd: the directory to run them in.
    @param stdin: what they read.
    @return: the completed process (text).
    """
    bin = os.path.join(cwd, "bin")
    os.makedirs(bin, exist_ok=True)
    python = os.path.join(bin, "python")
    if not os.path.exists(python):
        os.symlink(sys.executable, python)
    env = dict(os.environ, PYTHONPATH=SOURCE,
               PATH=os.pathsep.join([bin, os.environ.get("PATH", "")]))
    return subprocess.run(["sh", "-c", script], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def tableNames(text, heading, pattern):
    """
    @param text: a page.
    @param heading: the heading of the section holding the table.
    @param pattern: a regular expression for a table row's first
        column, its group the name.
    @return: the names of the rows of the first table under C{heading}.
    """
    section = text[text.index(heading + "\n"):]
    section = section[section.index("\n==="):]
    table = section[:section.index("\n\n", section.index("\n===", 5) + 5)]
    return set(re.findall(pattern, table, re.MULTILINE))


class MetricsPageTests(unittest.TestCase):
    """
    C{docs/monitoring.rst}'s table of metrics is what a scrape shows.
    """

    def test_scrapeHasTheTable(self):
        """
        The page's C{curl --unix-socket ... /metrics} of a server started
        with the page's C{--metrics unix:PATH:mode=600} shows the families
        of the page's table, and none it does not name.
        """
        needProgram("curl")
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("prometheus_client is missing")
        text = readPage("monitoring.rst")
        documented = tableNames(text, "Metrics (``--metrics``)",
                                r"^``(ftpkit_\w+)")
        self.assertIn("ftpkit_connections_refused_total", documented)
        listen = re.search(r"--metrics (unix:/run/ftpkit/metrics\.sock\S*)",
                           text).group(1)
        scrape = re.search(r"``(curl --unix-socket [^`]*/metrics)``",
                           text.replace("\n", " ")).group(1)
        base = scratchDirectory(self)
        # A socket's path has at most 107 bytes: not under _trial_temp.
        short = tempfile.mkdtemp(prefix="ftpkit-")
        self.addCleanup(shutil.rmtree, short)
        socketPath = os.path.join(short, "metrics.sock")
        server = ServerProcess(self, [
            "--root", base, "--auth", "anonymous",
            "--metrics", listen.replace("/run/ftpkit/metrics.sock",
                                        socketPath)])
        server.waitForGreeting()
        self.assertEqual(oct(os.stat(socketPath).st_mode & 0o777), "0o600")
        done = runShell(scrape.replace("/run/ftpkit/metrics.sock",
                                       socketPath), base)
        self.assertEqual(done.returncode, 0, done.stderr)
        scraped = set(re.findall(r"^# TYPE (\S+) ", done.stdout, re.MULTILINE))
        self.assertEqual(scraped, documented)


class LogFieldsPageTests(unittest.TestCase):
    """
    C{docs/logging.rst}'s tables of events and fields are what
    C{--log-format json} writes.
    """

    def test_jsonRecordsDocumented(self):
        """
        A session's logins (failed and not), an upload, a download, a
        deletion and a refused command, logged as JSON: every
        C{ftpkit_event} is one of the page's, and every field of its
        record one of the page's fields (or the C{listening} line's, which
        the page gives in its own paragraph).
        """
        text = readPage("logging.rst")
        kinds = tableNames(text, "One event per thing that happened",
                           r"^``([a-z-]+)``\s")
        kinds |= tableNames(text, "Counts of lines left out",
                            r"^``([a-z-]+)``\s")
        kinds.add("listening")
        fields = tableNames(text, "Field names", r"^``(\w+)``\s")
        self.assertIn("bytes_in", fields)
        base = scratchDirectory(self)
        with open(os.path.join(base, "pub.txt"), "w") as f:
            f.write("hello\n")
        server = ServerProcess(self, [
            "--root", base, "--auth", "anonymous",
            "--auth", "memory:alice:secret", "--log-format", "json"])
        server.waitForGreeting()
        try:
            server.login("alice", "wrong")
        except Exception:  # noqa: BLE001 (the failed login is the point)
            pass
        client = server.login("alice", "secret")
        client.storbinary("STOR up.txt", io.BytesIO(b"x" * 10))
        client.retrbinary("RETR pub.txt", lambda data: None)
        client.delete("up.txt")
        self.assertRaises(ftplib.error_perm, client.cwd, "nosuch")
        client.quit()
        server.stop()
        seen = set()
        unknown = set()
        for line in server.log().splitlines():
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            kind = record.get("ftpkit_event")
            if kind is None:
                continue
            seen.add(kind)
            extra = {"interface", "port"} if kind == "listening" else set()
            unknown.update(
                (kind, name) for name in record
                if not name.startswith("log_") and name not in fields | extra)
        self.assertEqual(
            {"listening", "login", "login-failed", "transfer", "change",
             "refusal", "logout"} - seen, set())
        self.assertEqual(seen - kinds, set())
        self.assertEqual(sorted(unknown), [])


class ManagingUsersPageTests(unittest.TestCase):
    """
    C{docs/virtual-users.rst}'s "Managing users" commands.
    """

    def test_commandsAsWritten(self):
        """
        The page's three C{python -m ftpkit.passwd} commands (the first
        asking the password twice, the second reading it from a pipe)
        leave alice in the file and bob out of it, and a bad user name is
        the error line the page quotes, with exit status 1.
        """
        text = readPage("virtual-users.rst")
        block = literalBlockAfter(text, "Managing users")
        script = "\n".join(block).replace("\\\n", " ")
        self.assertIn("--delete bob", script)
        base = scratchDirectory(self)
        users = os.path.join(base, "users.toml")
        script = script.replace("/etc/ftpkit/users.toml", users)
        done = runShell("set -e\nPASSWORD=pw2\n" + script, base,
                        stdin="pw1\npw1\n")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("added alice in", done.stdout)
        self.assertIn("added bob in", done.stdout)
        self.assertIn("deleted bob in", done.stdout)
        with open(users, encoding="utf-8") as f:
            written = f.read()
        self.assertIn("[users.alice]", written)
        self.assertNotIn("bob", written)
        self.assertEqual(oct(os.stat(users).st_mode & 0o777), "0o600")
        quoted = re.search(r"^    (python -m ftpkit.passwd: error: '\.\./x' .*)$",
                           text, re.MULTILINE).group(1)
        done = runShell(f"python -m ftpkit.passwd {users} ../x", base)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr.strip().splitlines()[-1], quoted)


class TLSPageTests(unittest.TestCase):
    """
    C{docs/tls.rst}'s certificate and its "Trying it" commands.
    """

    def test_certificateAndCurl(self):
        """
        The page's C{openssl req} makes C{key.pem} and C{cert.pem} that
        C{--tls-cert} and C{--tls-key} take, and the page's C{curl
        --ssl-reqd -k} (explicit FTPS) and C{curl -k ftps://} (an
        C{ssl:} listener of those files, implicit FTPS) download a file;
        so does its C{lftp} line, and its C{openssl s_client} line reads
        the certificate's end date (L{runLftpAndEndDate}).
        """
        needProgram("openssl")
        needProgram("curl")
        text = readPage("tls.rst")
        block = literalBlockAfter(text, "Generating a certificate")
        base = scratchDirectory(self)
        done = runShell(" ".join(line.rstrip("\\") for line in block), base)
        self.assertEqual(done.returncode, 0, done.stderr)
        key = os.path.join(base, "key.pem")
        cert = os.path.join(base, "cert.pem")
        served = os.path.join(base, "srv")
        os.makedirs(served)
        with open(os.path.join(served, "file.txt"), "w") as f:
            f.write("the file\n")
        passwords = os.path.join(base, "ftpkit.passwd")
        with open(passwords, "w") as f:
            f.write("alice:secret\n")
        os.chmod(passwords, 0o600)
        implicit = ServerProcess(self, [
            "--root", served, "--auth", f"file:{passwords}"],
            listen=lambda port: [
                "--listen", f"ssl:{port}:interface=127.0.0.1:"
                f"privateKey={key}:certKey={cert}"])
        explicit = ServerProcess(self, [
            "--root", served, "--auth", f"file:{passwords}",
            "--tls-cert", cert, "--tls-key", key])
        explicit.waitFor(lambda: "listening on" in explicit.log(),
                         "the explicit server")
        implicit.waitFor(lambda: "listening on" in implicit.log(),
                         "the implicit server")
        trying = "\n".join(literalBlockAfter(text, "Trying it")).replace(
            "\\\n", " ").splitlines()
        commands = [line for line in trying if line.startswith("curl ")]
        self.assertEqual(len(commands), 2, trying)
        for command, server in zip(commands, [explicit, implicit]):
            command = re.sub(r"localhost:\d+", f"127.0.0.1:{server.port}",
                             command)
            done = runShell(command, base)
            self.assertEqual((done.returncode, done.stdout),
                             (0, "the file\n"), (command, done.stderr))
        self.runLftpAndEndDate(text, trying, explicit, base)

    def runLftpAndEndDate(self, text, trying, server, base):
        """
        Run the page's C{lftp} line (where lftp is installed), which then
        reads C{cat file.txt} from its input, and its C{openssl s_client}
        line reading the end date of the certificate C{server} offers.

        @param text: the page.
        @param trying: the lines of its "Trying it" block.
        @param server: the explicit FTPS server.
        @param base: the directory to run them in.
        """
        address = f"127.0.0.1:{server.port}"
        enddate = re.search(r"^    (openssl s_client -starttls ftp .*)\\\n"
                            r" +(\| openssl x509 .*)$", text,
                            re.MULTILINE).group(1, 2)
        enddate = " ".join(enddate)
        done = runShell(enddate.replace("ftp.example.com:21", address), base)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(done.stdout.startswith("notAfter="), done.stdout)
        if shutil.which("lftp") is None:
            return
        lftp = [line for line in trying if line.startswith("lftp ")]
        self.assertEqual(len(lftp), 1, trying)
        done = runShell(lftp[0].replace("localhost:2121", address), base,
                        stdin="cat file.txt\nquit\n")
        self.assertEqual((done.returncode, done.stdout), (0, "the file\n"),
                         done.stderr)


class QuickstartServeTests(unittest.TestCase):
    """
    C{docs/quickstart.rst}'s "Serve a directory".
    """

    def test_serveAndCurl(self):
        """
        The page's server, with its C{/tmp/ftp} and port moved, serves
        anonymous downloads and refuses an anonymous upload, and its
        C{curl ftp://127.0.0.1:2121/} lists the directory.
        """
        needProgram("curl")
        text = readPage("quickstart.rst")
        block = literalBlockAfter(text, "Serve a directory")
        self.assertEqual(block[0], "mkdir -p /tmp/ftp")
        base = scratchDirectory(self)
        served = os.path.join(base, "ftp")
        done = runShell(block[0].replace("/tmp/ftp", served), base)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(served, "hello.txt"), "w") as f:
            f.write("hello\n")
        words = block[1].split()
        options = words[words.index("ftpkit") + 1:]
        listen = options.index("--listen")
        self.assertEqual(options[listen + 1], "tcp:2121:interface=127.0.0.1")
        del options[listen:listen + 2]
        options = [served if word == "/tmp/ftp" else word for word in options]
        server = ServerProcess(self, options, twistd=True)
        server.waitForGreeting()
        curl = re.search(r"Try it with any client::\n\n    (curl .*)\n",
                         text).group(1)
        done = runShell(curl.replace(":2121", f":{server.port}"), base)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, r" hello\.txt\n$")
        upload = runShell(
            f"curl -s -T hello.txt ftp://127.0.0.1:{server.port}/up.txt",
            served)
        self.assertNotEqual(upload.returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(served, "up.txt")))


class VirtualHostsPageTests(unittest.TestCase):
    """
    C{docs/virtual-hosts.rst}'s first command.
    """

    def test_hostsAsSaid(self):
        """
        The page's server (its C{s3://} host's realm replaced by
        C{fsspec:memory://}, its paths moved): C{HOST ftp.example.com}
        gets C{220 Host ftp.example.com ready}, and alice's upload there
        lands in C{/srv/ftp/example/alice}, as the page says; without
        C{HOST} it lands in C{/srv/ftp/default/alice}; an unknown name
        gets C{504 Unknown host NAME}.
        """
        text = readPage("virtual-hosts.rst")
        command = " ".join(line.rstrip("\\") for line in
                           literalBlockAfter(text, "Virtual hosts (HOST)"))
        self.assertIn("--vhost ftp.example.org=fsspec:s3://", command)
        self.assertIn("works in ``/srv/ftp/example/alice``",
                      " ".join(text.split()).replace("`` ``", "``"))
        base = scratchDirectory(self)
        for directory in ("srv/ftp/default", "srv/ftp/example"):
            os.makedirs(os.path.join(base, directory))
        passwords = os.path.join(base, "ftpkit.passwd")
        with open(passwords, "w") as f:
            f.write("alice:secret\n")
        os.chmod(passwords, 0o600)
        command = (command.replace("/etc/ftpkit.passwd", passwords)
                   .replace("/srv/", base + "/srv/")
                   .replace("fsspec:s3://example-org/ftp", "fsspec:memory://"))
        words = command.split()
        server = ServerProcess(self, words[words.index("ftpkit") + 1:],
                               twistd=True)
        server.waitForGreeting()
        replies = []
        for host in [None, "ftp.example.com", "nosuch.example"]:
            client = ftplib.FTP()
            client.connect("127.0.0.1", server.port, timeout=30)
            self.addCleanup(client.close)
            if host is not None:
                try:
                    replies.append(client.sendcmd("HOST " + host))
                except ftplib.error_perm as e:
                    replies.append(str(e))
                    continue
            client.login("alice", "secret")
            client.storbinary("STOR up.txt", io.BytesIO(b"x"))
            client.quit()
        self.assertEqual(replies, ["220 Host ftp.example.com ready",
                                   "504 Unknown host nosuch.example"])
        for directory in ("default", "example"):
            self.assertTrue(os.path.isfile(os.path.join(
                base, "srv", "ftp", directory, "alice", "up.txt")), directory)


class ReadmeUsersTests(unittest.TestCase):
    """
    README's virtual users with hashed passwords, quotas and permissions.
    """

    def test_commandsAsWritten(self):
        """
        README's C{python -m ftpkit.passwd} command (asking the password
        twice), its paths moved, writes alice with the home, quotas and
        permissions it names, and its C{twistd} command serves her home:
        she logs in with that password and her upload lands in
        C{/srv/ftp/alice}.
        """
        with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
            text = f.read()
        block = re.search(r"Virtual users with hashed passwords.*?```sh\n"
                          r"(.*?)```", text, re.DOTALL).group(1)
        passwd, twistd = block.replace("\\\n", " ").strip().splitlines()
        base = scratchDirectory(self)
        os.makedirs(os.path.join(base, "srv", "ftp"))
        os.makedirs(os.path.join(base, "etc", "ftpkit"))
        moved = re.sub(r"(?<![\w.])/(srv|etc)\b", base + r"/\1", passwd)
        done = runShell(moved, base, stdin="pw1\npw1\n")
        self.assertEqual(done.returncode, 0, done.stderr)
        users = os.path.join(base, "etc", "ftpkit", "users.toml")
        with open(users, encoding="utf-8") as f:
            written = f.read()
        for line in ['home = "alice"', "quota = 1000000000",
                     "quota-files = 100000", '"set-time"']:
            self.assertIn(line, written)
        words = re.sub(r"(?<![\w.])/(srv|etc)\b", base + r"/\1",
                       twistd).split()
        server = ServerProcess(self, words[words.index("ftpkit") + 1:],
                               twistd=True)
        server.waitForGreeting()
        client = ftplib.FTP()
        client.connect("127.0.0.1", server.port, timeout=30)
        self.addCleanup(client.close)
        client.login("alice", "pw1")
        client.storbinary("STOR up.txt", io.BytesIO(b"x"))
        client.quit()
        self.assertTrue(os.path.isfile(
            os.path.join(base, "srv", "ftp", "alice", "up.txt")))


class ScaleOutPageTests(unittest.TestCase):
    """
    C{docs/scale-out.rst}'s C{haproxy.cfg}.
    """

    def test_configOfTheTests(self):
        """
        The page's C{haproxy.cfg}, "the one of the test", is what
        C{bench.balancer.haproxyConfig} writes for the tests (but its
        C{global} section), with the page's addresses; and HAProxy, where
        installed, finds it valid.
        """
        from bench.balancer import haproxyConfig

        page = "\n".join(
            line for line in
            literalBlockAfter(readPage("scale-out.rst"), "The layout"))
        written = haproxyConfig(
            21, [("10.0.0.2", 2121), ("10.0.0.3", 2121)],
            [(30000, 30099), (30100, 30199)])
        written = written[written.index("defaults\n"):].replace(
            "127.0.0.1", "198.51.100.10")
        self.assertEqual(page + "\n",
                         "\n".join(line.strip()
                                   for line in written.splitlines()) + "\n")
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not os.access(haproxy, os.X_OK):
            return
        base = scratchDirectory(self)
        config = os.path.join(base, "haproxy.cfg")
        with open(config, "w") as f:
            f.write(written)
        done = subprocess.run([haproxy, "-c", "-f", config],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
