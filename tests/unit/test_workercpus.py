"""
C{--worker-cpus}: its value's parse, the CPU of each worker's slot, and
the worker pinning itself (L{ftpkit.deploy.workercpus}).
"""

from twisted.trial import unittest

from ftpkit.deploy.workercpus import (
    CPU_VARIABLE,
    cpuForSlot,
    parseWorkerCpus,
    pinFromEnvironment,
    pinnedEnvironment,
)


class ParseTests(unittest.TestCase):
    """
    L{parseWorkerCpus}.
    """

    def test_list(self):
        """
        CPU numbers come back in the order given, repeats kept (a CPU
        given twice gets two workers in each round).
        """
        self.assertEqual(parseWorkerCpus("3,1", {0, 1, 2, 3}), (3, 1))
        self.assertEqual(parseWorkerCpus("0,0,1", {0, 1}), (0, 0, 1))
        self.assertEqual(parseWorkerCpus("007", {7}), (7,))

    def test_auto(self):
        """
        C{auto} is every CPU the process may run on, ascending.
        """
        self.assertEqual(parseWorkerCpus("auto", {5, 2, 9}), (2, 5, 9))

    def test_notAllowed(self):
        """
        A CPU the process may not run on (one that does not exist, or one
        a C{taskset} or cgroup took away) is refused, naming the ones it
        may run on.
        """
        e = self.assertRaises(ValueError, parseWorkerCpus, "0,2", {0, 1, 3})
        self.assertEqual(str(e), "CPU 2 is not one this process may run "
                                 "on (0,1,3)")

    def test_notNumbers(self):
        """
        Anything but ASCII CPU numbers separated by single commas, or
        C{auto}, is refused, quoting the value.
        """
        for text in ["", "x", "0,", "0,,1", "-1", "0-1", " 0", "1.0",
                     "Auto", "\u0661", "1234567"]:
            e = self.assertRaises(ValueError, parseWorkerCpus, text, {0, 1})
            self.assertEqual(str(e), "must be auto or CPU numbers separated "
                                     f"by commas (0,1), not {text!r}")

    def test_cannotPin(self):
        """
        Where the system cannot pin a process (no C{os.sched_setaffinity}:
        not Linux), every value is refused, saying so.
        """
        for text in ["auto", "0"]:
            e = self.assertRaises(ValueError, parseWorkerCpus, text, set(),
                                  canPin=False)
            self.assertEqual(str(e), "this system cannot pin a process to "
                                     "a CPU (Linux only)")


class SlotTests(unittest.TestCase):
    """
    L{cpuForSlot}.
    """

    def test_roundRobin(self):
        """
        Worker C{i} gets C{cpus[i % len(cpus)]}.
        """
        self.assertEqual([cpuForSlot((4, 6), slot) for slot in range(5)],
                         [4, 6, 4, 6, 4])

    def test_none(self):
        """
        Without C{--worker-cpus} a worker runs on any CPU.
        """
        self.assertIsNone(cpuForSlot(None, 3))

    def test_environment(self):
        """
        A worker's environment names its CPU; without one, not even the
        CPU the acceptor's own environment named (a server started from
        a worker's shell must not pin its workers by accident).
        """
        self.assertEqual(pinnedEnvironment({"A": "b"}, 1),
                         {"A": "b", CPU_VARIABLE: "1"})
        self.assertEqual(pinnedEnvironment({CPU_VARIABLE: "0"}, None), {})


class PinTests(unittest.TestCase):
    """
    L{pinFromEnvironment}.
    """

    def test_pins(self):
        """
        The CPU named in the environment is the process's only one.
        """
        calls = []
        line = pinFromEnvironment(
            {CPU_VARIABLE: "3"}, lambda pid, cpus: calls.append((pid, cpus)))
        self.assertEqual((line, calls), (None, [(0, {3})]))

    def test_nothingAsked(self):
        """
        Without the variable nothing is pinned.
        """
        calls = []
        self.assertIsNone(pinFromEnvironment({}, calls.append))
        self.assertEqual(calls, [])

    def test_cannot(self):
        """
        A CPU no longer the process's to take is a line for the log, and
        the worker runs on any CPU rather than not at all.
        """
        def refuse(pid, cpus):
            raise OSError(22, "Invalid argument")

        self.assertEqual(
            pinFromEnvironment({CPU_VARIABLE: "1"}, refuse),
            "worker cannot pin itself to CPU 1: [Errno 22] Invalid "
            "argument; it runs on any CPU")
