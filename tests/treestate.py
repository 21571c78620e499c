"""
What is under a directory, to tell that an attack changed nothing there:
L{state} gives every path with its type, mode, modification time and
bytes; L{snapshot} every path with a regular file's bytes or a link's
target.
"""

import os


def state(top):
    """
    @param top: the directory.
    @return: every path under C{top} (symbolic links not followed) with
        its type, mode, modification time and, for a regular file, its
        bytes.
    """
    result = {}
    for directory, names, files in os.walk(top):
        for name in names + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            content = None
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    content = f.read()
            result[os.path.relpath(path, top)] = (
                info.st_mode, info.st_mtime_ns, content)
    return result


def snapshot(top):
    """
    @param top: the directory.
    @return: every path under C{top} with the contents of regular files
        (C{None} for the rest), symbolic links not followed.
    """
    result = {}
    for directory, names, files in os.walk(top):
        for name in names + files:
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    result[path] = f.read()
            else:
                result[path] = os.readlink(path) if os.path.islink(path) \
                    else None
    return result
