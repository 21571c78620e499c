"""
Tests for the parts of L{bench} that decide when to measure.
"""

import io
import os
from contextlib import redirect_stdout

from twisted.trial import unittest

from bench import listfloor
from bench.procstat import timeWaitSockets

SOCKSTAT = """sockets: used 10
TCP: inuse 3 orphan 0 tw 53787 alloc 3 mem 162
UDP: inuse 0 mem 0
"""


class TimeWaitSocketsTests(unittest.TestCase):
    """
    L{timeWaitSockets} reads the C{TIME_WAIT} count the benchmark waits on.
    """

    def write(self, text):
        path = self.mktemp()
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_count(self):
        """
        The figure after C{tw} on the C{TCP:} line.
        """
        self.assertEqual(timeWaitSockets(self.write(SOCKSTAT)), 53787)

    def test_unknown(self):
        """
        A missing file or one without the figure counts as none waiting.
        """
        self.assertEqual(timeWaitSockets(self.mktemp()), 0)
        self.assertEqual(timeWaitSockets(self.write("TCP: inuse 3\n")), 0)


class ListFloorTests(unittest.TestCase):
    """
    C{python -m bench.listfloor} measures each way of reading a directory.
    """

    def test_smallRun(self):
        """
        A run over a few entries prints a line for each way.
        """
        tmp = self.mktemp()
        os.makedirs(tmp)
        out = io.StringIO()
        with redirect_stdout(out):
            listfloor.main(["--entries", "3", "--repeat", "1", "--tmp", tmp])
        lines = out.getvalue().splitlines()
        self.assertEqual([line.split("  ")[1].strip() for line in lines[1:]],
                         [name for name, _ in listfloor.MEASURED])
        self.assertEqual(os.listdir(tmp), [])
