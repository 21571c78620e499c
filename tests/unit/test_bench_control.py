"""
L{bench.instructions}' calls of C{callgrind_control} end: a process
that is gone is not asked, and one that does not answer is given up on
(its C{vgdb} waited for ever on the FIFO of a server's worker that had
died, and the trial worker running C{test_bench_instructions} with it).
"""

import os
import subprocess
import sys

from twisted.trial import unittest

from bench import instructions
from tests.scratch import scratchDirectory


class ControlTests(unittest.TestCase):
    """
    L{instructions._control} with a C{callgrind_control} that never
    answers: a shell whose child (as C{vgdb} does) holds its output open.
    """

    def setUp(self):
        script = os.path.join(scratchDirectory(self), "hangs")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nsleep 600 &\nwait\n")
        os.chmod(script, 0o755)
        self.patch(instructions, "CALLGRIND_CONTROL", script)
        self.patch(instructions, "CONTROL_TIMEOUT", 0.5)

    def test_noAnswer(self):
        """
        A call that gets no answer in L{instructions.CONTROL_TIMEOUT} is
        killed, with its children, and fails.
        """
        self.assertFalse(instructions._control(["-d"], os.getpid()))
        error = self.assertRaises(RuntimeError, instructions._control,
                                  ["-d"], os.getpid(), required=True)
        self.assertIn("no answer in 0.5 s", str(error))

    def test_processGone(self):
        """
        A process that has ended is not asked: it is not counted.
        """
        gone = subprocess.Popen([sys.executable, "-c", ""])
        gone.wait()
        error = self.assertRaises(RuntimeError, instructions._control,
                                  ["-d"], gone.pid, required=True)
        self.assertIn("no such process", str(error))
