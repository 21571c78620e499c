"""
The scenario the client libraries in tests/clients/ (Apache commons-net,
Node's basic-ftp, PHP's ftp extension, Perl's and Ruby's Net::FTP) drive
ftpkit through, and what the tests check of it.

The server's root holds C{seed/}: a file last changed in 2019, names with
spaces, brackets and UTF-8, an empty file, an empty directory, a symbolic
link and a 5 MB file. Each driver lists it, downloads every file (the 5 MB
one also from an offset), then in a new directory C{up [x] ü} uploads an
empty file, the 5 MB file, one with an odd name, the 5 MB file again in
two parts (C{APPE}, and where the client can C{REST} + C{STOR}), renames,
sets a time (C{MFMT}), C{SITE CHMOD}s, lists an empty directory and
removes it, and deletes the empty file. Each step prints one JSON object a
line (C{{"step": ...}}); a step that failed prints C{"error"}, one that
stopped the driver C{"fatal"}, and the last one C{"done"}.
"""

import hashlib
import json
import os
import stat

from twisted.internet import utils
from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory

BIG = 5 * 1000 * 1000
"""Bytes in C{seed/big.bin}."""
OFFSET = 1000000
"""Where the resumed transfers start."""
OLD = 1551675967
"""C{seed/old.txt}'s time: 2019-03-04 05:06:07 UTC."""
SEED = {
    "old.txt": b"old\n",
    "name with spaces.txt": b"spaces\n",
    "[br] \u00fc \u20ac.txt": b"utf8\n",
    "empty.txt": b"",
}
"""The small files in C{seed/}, by name."""
SEEDED = sorted([*SEED, "big.bin", "emptydir", "link.txt"])
"""The names in C{seed/}."""
UP = "up [x] \u00fc"
"""The directory the drivers make and upload into."""
DRIVERS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "clients")
"""Where the drivers' sources are."""


def sha256(data):
    """
    @return: C{data}'s SHA-256, in hex.
    """
    return hashlib.sha256(data).hexdigest()


def seed(root):
    """
    Write C{seed/} under C{root}.

    @return: the 5 MB file's bytes.
    """
    top = os.path.join(root, "seed")
    os.makedirs(os.path.join(top, "emptydir"))
    for name, data in SEED.items():
        with open(os.path.join(top, name), "wb") as f:
            f.write(data)
    os.utime(os.path.join(top, "old.txt"), (OLD, OLD))
    os.symlink("old.txt", os.path.join(top, "link.txt"))
    big = os.urandom(BIG)
    with open(os.path.join(top, "big.bin"), "wb") as f:
        f.write(big)
    return big


async def drive(executable, args, env=None):
    """
    Run a driver.

    @param executable: the program (C{java}, C{node}, ...).
    @param args: its arguments.
    @param env: variables added to this process's environment.
    @return: C{(events, out, err, code)}: the JSON objects it printed, its
        output, its error output and its exit status.
    """
    out, err, code = await utils.getProcessOutputAndValue(
        executable, args, env={**os.environ, **(env or {})})
    events = []
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    return events, out, err, code


class ScenarioChecks:
    """
    A trial mixin: checks of a driver's events and of what it left in the
    server's C{self.root}, the 5 MB file being C{self.big}.
    """

    def prepareScenario(self):
        """
        Make what the scenario's server serves: the certificates and
        C{self.factory} of its TLS (for L{tests.tlssupport.FTPSTestsMixin}),
        and its root C{self.root} holding C{seed/}.
        """
        self.makeCertificates()
        self.factory = makeContextFactory(self.both)
        self.root = scratchDirectory(self)
        self.big = seed(self.root)

    async def driven(self, executable, script, host, security, data,
                     port=None):
        """
        Run a driver of L{DRIVERS} through the scenario, its local files
        in C{self.local}, and check that it ran to its end
        (L{assertCompleted}).

        @param executable: the program that runs it (C{php}, C{perl}...).
        @param script: the driver's file name in L{DRIVERS}.
        @param host: the server's address.
        @param security: C{plain}, C{explicit} or C{implicit}.
        @param data: C{passive} or C{active}.
        @param port: the server's port; C{self.server}'s when C{None}.
        @return: a L{Deferred} firing with the driver's events.
        """
        result = await drive(executable, [
            os.path.join(DRIVERS, script), host,
            str(port or self.server.port), security, data, self.local])
        self.assertCompleted(*result)
        return result[0]

    def steps(self, events, step):
        """
        @return: the events of one step, in order.
        """
        return [event for event in events if event["step"] == step]

    def step(self, events, step):
        """
        @return: the one event of C{step}.
        """
        found = self.steps(events, step)
        self.assertEqual(len(found), 1, (step, events))
        return found[0]

    def assertCompleted(self, events, out, err, code):
        """
        The driver ran to its end without a failed step.
        """
        failed = [event for event in events
                  if event["step"] in ("error", "fatal")]
        self.assertEqual(failed, [], err.decode("utf-8", "replace"))
        self.assertEqual((code, events[-1:]), (0, [{"step": "done"}]),
                         (out, err))

    def assertDownloads(self, events):
        """
        Every file in C{seed/} came back whole; the 5 MB one from
        L{OFFSET} too, in the C{rest} step, if there is one.
        """
        got = {event["name"]: event["sha256"]
               for event in self.steps(events, "get")}
        expected = {name: sha256(data) for name, data in SEED.items()}
        expected["link.txt"] = sha256(SEED["old.txt"])
        expected["big.bin"] = sha256(self.big)
        self.assertEqual(got, expected)
        for event in self.steps(events, "rest"):
            self.assertEqual(event["sha256"], sha256(self.big[OFFSET:]))

    def assertNetFTPSteps(self, events, size):
        """
        The steps the drivers modelled on Net::FTP (Perl's, PHP's and
        Ruby's) share: the downloads, C{rawlist} and C{nlst} of C{seed/},
        C{sizes} (the 5 MB file's size and C{old.txt}'s time), C{nbget},
        C{pwd} in L{UP}, the C{size} of the uploads in two parts and the
        C{mdtm} after C{MFMT}.

        @param size: the 5 MB file's size as the driver prints it (an
            C{int}, or its digits).
        """
        self.assertDownloads(events)
        lines = self.step(events, "rawlist")["lines"]
        self.assertEqual(sorted(line.split(None, 8)[8] for line in lines),
                         SEEDED)
        self.assertEqual(sorted(self.step(events, "nlst")["names"]),
                         ["seed/" + name for name in SEEDED])
        self.assertEqual(self.step(events, "sizes"),
                         {"step": "sizes", "size": size,
                          "lastMod": "2019-03-04 05:06"})
        self.assertEqual(self.step(events, "nbget")["sha256"],
                         sha256(self.big))
        self.assertEqual(self.step(events, "pwd")["path"], "/" + UP)
        self.assertEqual(self.step(events, "size"),
                         {"step": "size", "appended": size,
                          "restarted": size})
        self.assertEqual(self.step(events, "mdtm")["lastMod"],
                         "2020-01-02 03:04")

    def assertEntries(self, entries, dates=True):
        """
        A parsed listing of C{seed/}: C{[name, size, kind, "YYYY-MM-DD
        HH:MM"]} each (C{.} and C{..} left out).

        @param dates: check C{old.txt}'s date (its day; the hour only
            where the listing has it).
        """
        byName = {entry[0]: entry for entry in entries
                  if entry[0] not in (".", "..")}
        self.assertEqual(sorted(byName), SEEDED)
        for name, data in SEED.items():
            self.assertEqual(byName[name][1:3], [len(data), "file"], name)
        self.assertEqual(byName["big.bin"][1:3], [BIG, "file"])
        self.assertEqual(byName["link.txt"][1:3], [4, "file"])
        self.assertEqual(byName["emptydir"][2], "dir")
        if dates:
            self.assertTrue(byName["old.txt"][3].startswith("2019-03-04"),
                            byName["old.txt"])

    def uploaded(self, name):
        """
        @return: the bytes of an uploaded file.
        """
        with open(os.path.join(self.root, UP, name), "rb") as f:
            return f.read()

    def assertUploads(self, restarted=True):
        """
        What the driver left in L{UP}: the 5 MB file, whole, uploaded at
        once and in two parts (C{APPE}; C{REST} + C{STOR} when
        C{restarted}), the renamed file with the time and mode it was
        given, and nothing else (the empty file and directory removed).
        """
        names = ["appended.bin", "big.bin", "renamed [1].txt"]
        if restarted:
            names.append("restarted.bin")
            self.assertTrue(self.uploaded("restarted.bin") == self.big)
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, UP))),
                         names)
        self.assertTrue(self.uploaded("big.bin") == self.big)
        self.assertTrue(self.uploaded("appended.bin") == self.big)
        self.assertEqual(self.uploaded("renamed [1].txt"), b"hello\n")
        status = os.stat(os.path.join(self.root, UP, "renamed [1].txt"))
        self.assertEqual(int(status.st_mtime), 1577934245)
        self.assertEqual(stat.S_IMODE(status.st_mode), 0o600)


class NetFTPScenarioTests(ScenarioChecks):
    """
    A trial mixin: the scenario in clear, passive on 127.0.0.1 and active
    on ::1, for a test case with C{serve} (L{tests.tlssupport}) and an
    async C{scenario(host, security, data)} running its driver.
    """

    async def test_plainPassive(self):
        """
        In clear, PASV.
        """
        self.serve()
        await self.scenario("127.0.0.1", "plain", "passive")

    async def test_plainActiveIPv6(self):
        """
        In clear on ::1, active: EPRT.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        self.serve(interface="::1")
        await self.scenario("::1", "plain", "active")
