"""
C{--worker-cpus LIST|auto}: each worker of C{--workers} pinned to a CPU
of its own, worker C{i} (its slot, kept by the worker started in its
place after a death) to C{LIST[i % len(LIST)]}; the acceptor is left
unpinned.

The worker pins itself, first thing in its C{main}
(L{ftpkit.deploy.worker}), to the CPU the acceptor names in its
environment (L{CPU_VARIABLE}): a thread takes its affinity from the one
that starts it, so set there, before the reactor and the disk threads
exist, every thread of the worker has it. Set from the acceptor after the
spawn, a thread the worker had started meanwhile would have kept every
CPU.

The value's parse is L{parseWorkerCpus}, a pure function; the
acceptor's choice for a slot, L{cpuForSlot}.
"""

import os

from ftpkit.deploy.keptfiles import checkedByAcceptor
from ftpkit.protocol.numbertext import isWholeNumber

CPU_VARIABLE = "FTPKIT_WORKER_CPU"
"""The environment variable naming the CPU a worker pins itself to."""

PINNED_LINE = "worker {pid} pinned to CPU {cpu}"
"""The acceptor's line for each worker it starts under C{--worker-cpus}
(C{docs/logging.rst})."""

NOT_PINNED_LINE = "worker cannot pin itself to CPU {cpu}: {error}; it runs " \
    "on any CPU"
"""A worker's line when the CPU it was given is no longer its to take
(taken off the process's allowed set since the start)."""


def parseWorkerCpus(text, allowed, canPin=True):
    """
    Read a C{--worker-cpus} value.

    @param text: the value: C{auto}, or CPU numbers separated by commas
        (C{0,1}; one may repeat, to give it more workers).
    @param allowed: the CPUs this process may run on
        (C{os.sched_getaffinity(0)}), a set of C{int}.
    @param canPin: whether this system can pin a process to a CPU
        (C{os.sched_setaffinity} exists: Linux).
    @return: the CPUs, a C{tuple} of C{int} in the order given
        (C{auto}: C{allowed}, ascending).
    @raise ValueError: saying why otherwise.
    """
    if not canPin:
        raise ValueError("this system cannot pin a process to a CPU "
                         "(Linux only)")
    if text == "auto":
        return tuple(sorted(allowed))
    cpus = []
    for part in text.split(","):
        # Six digits are past any CPU; thousands of them, past int()'s
        # limit (a ValueError of its own).
        if not isWholeNumber(part) or len(part) > 6:
            raise ValueError(
                f"must be auto or CPU numbers separated by commas (0,1), "
                f"not {text!r}")
        cpu = int(part)
        if cpu not in allowed:
            raise ValueError(
                f"CPU {cpu} is not one this process may run on "
                f"({cpuListText(allowed)})")
        cpus.append(cpu)
    return tuple(cpus)


def cpuListText(cpus):
    """
    @param cpus: CPU numbers.
    @return: them ascending, separated by commas.
    """
    return ",".join(str(cpu) for cpu in sorted(cpus))


def cpuForSlot(cpus, slot):
    """
    @param cpus: the parsed C{--worker-cpus} (L{parseWorkerCpus}), or
        C{None} when not given.
    @param slot: the worker's slot, from 0 to C{--workers} - 1.
    @return: the CPU its worker runs on, or C{None} (any).
    """
    if not cpus:
        return None
    return cpus[slot % len(cpus)]


def pinnedEnvironment(environment, cpu):
    """
    @param environment: the environment a worker is to start with.
    @param cpu: the CPU it is to pin itself to (L{cpuForSlot}), or
        C{None}.
    @return: C{environment}, L{CPU_VARIABLE} naming C{cpu}, or unset.
    """
    environment.pop(CPU_VARIABLE, None)
    if cpu is not None:
        environment[CPU_VARIABLE] = str(cpu)
    return environment


def workerCpuOption(text):
    """
    The converter of C{--worker-cpus}: L{parseWorkerCpus} against this
    process's allowed CPUs; in a worker, nothing: its acceptor checked the
    value against its own, and the worker, pinned already, may run on one
    of them only.

    @param text: the option's value.
    @return: the CPUs, a C{tuple} of C{int}; C{None} in a worker.
    @raise ValueError: saying why otherwise.
    """
    if checkedByAcceptor():
        return None
    canPin = hasattr(os, "sched_setaffinity")
    allowed = os.sched_getaffinity(0) if canPin else set()
    return parseWorkerCpus(text, allowed, canPin)


def pinFromEnvironment(environ=None, setAffinity=None):
    """
    Pin this (worker) process to the CPU its acceptor named, if any.

    @param environ: the environment (C{os.environ} when C{None}).
    @param setAffinity: C{os.sched_setaffinity} when C{None}.
    @return: C{None} when pinned or nothing was asked, else the line
        saying why not (L{NOT_PINNED_LINE}), for the worker's log.
    """
    environ = os.environ if environ is None else environ
    text = environ.get(CPU_VARIABLE)
    if text is None:
        return None
    if setAffinity is None:
        setAffinity = os.sched_setaffinity
    try:
        setAffinity(0, {int(text)})
    except (OSError, ValueError) as e:
        return NOT_PINNED_LINE.format(cpu=text, error=e)
    return None
