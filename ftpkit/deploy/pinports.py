"""
The workers' C{--listen} values with the ports the acceptor of
C{--workers} bound: a listener on port 0 (any free port, as a single
process takes it) gets its port from the kernel in the acceptor only, and
a worker that reads the value as given could not tell which listener a
connection came in on (its C{ssl:} and C{haproxy:} ones start sessions
their own way: L{ftpkit.deploy.worker.listenerFactories}).
"""

from ftpkit.deploy.endpoints import splitEndpoint


def withPort(description, port):
    """
    @param description: a C{tcp:}, C{tcp6:} or C{ssl:} listener's
        description, possibly behind C{haproxy:}.
    @param port: the port it listens on.
    @return: C{description} naming C{port} where it named its port (in
        its place, or as C{port=}), everything else as written.
    """
    fields = splitEndpoint(description, keepEscapes=True)
    for index, field in enumerate(fields):
        if field.isdigit():
            fields[index] = str(port)
            break
        if field.startswith("port="):
            fields[index] = f"port={port}"
            break
    return ":".join(fields)


def _isListen(option):
    """
    @param option: a long option as given, e.g. C{--listen} or C{--lis}
        (Twisted takes any unambiguous beginning).
    @return: whether it names C{--listen}.
    """
    return len(option) > 2 and "--listen".startswith(option)


def pinnedArgv(argv, ports):
    """
    The options a worker is started with, each C{--listen} value naming
    the port the acceptor bound for it (port 0 replaced).

    @param argv: the server's options.
    @param ports: the port bound for each C{--listen} value, in order.
    @return: C{argv}, a new list.
    """
    ports = list(ports)
    result = []
    previous = None
    for argument in argv:
        option, equals, value = argument.partition("=")
        if ports and previous is not None and _isListen(previous):
            argument = withPort(argument, ports.pop(0))
        elif ports and equals and _isListen(option):
            argument = f"{option}={withPort(value, ports.pop(0))}"
        result.append(argument)
        previous = argument
    return result
