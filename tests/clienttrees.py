"""
Files and trees the client tests send and compare: writing a tree
(L{makeTree}, L{writeTree}), digests of a file and of a tree (L{sha256},
L{treeDigest}) and reading what a client downloaded (L{readFile}).
"""

import hashlib
import os


def sha256(path):
    """
    @param path: a local file's path.
    @return: the hex SHA-256 of the file.
    """
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def makeTree(root, files=50):
    """
    Write a nested tree of C{files} files of varied sizes under C{root}.

    @param root: the directory.
    @param files: how many files.
    """
    for i in range(files):
        directory = os.path.join(root, "d%d" % (i % 5), "e%d" % (i % 3))
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "f%02d.bin" % i), "wb") as f:
            f.write(os.urandom(i * 997 + (i % 7) * 65536))


def writeTree(top, tree, emptyDirectory=None):
    """
    Write files under a directory, making the directories they need.

    @param top: the directory.
    @param tree: the files, a dict of relative path to bytes.
    @param emptyDirectory: the relative path of an empty directory to make
        too, if any.
    """
    for name, data in tree.items():
        path = os.path.join(top, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    if emptyDirectory is not None:
        os.makedirs(os.path.join(top, emptyDirectory))


def treeDigest(root):
    """
    @param root: the directory.
    @return: a sorted list of (relative path, sha256) for every file.
    """
    result = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            result.append((os.path.relpath(path, root), sha256(path)))
    return sorted(result)


def readFile(path):
    """
    @param path: a local file's path.
    @return: the bytes of C{path}, or C{None} when there is no such file.
    """
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None
