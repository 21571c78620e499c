"""
Counting the calls a test cares about: how many times the code under test
reads a directory, a batch, a record, where a count (never a time) shows
that it does the work once rather than at every command.
"""


def countedCalls(testCase, owner, name):
    """
    Patch C{owner.name} for the length of C{testCase} with a function that
    records each call's arguments and then makes the call.

    @param testCase: the L{twisted.trial.unittest.TestCase} whose C{patch}
        undoes it.
    @param owner: the module, class or object holding the callable.
    @param name: the callable's attribute name.
    @return: the list each call's positional arguments are appended to.
    """
    original = getattr(owner, name)
    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    testCase.patch(owner, name, counting)
    return calls
