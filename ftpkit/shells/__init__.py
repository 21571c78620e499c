"""
The shells that come with ftpkit, each an L{ftpkit.interfaces.IFTPShell}:

  - L{ftpkit.shells.filesystem.FilesystemShell}: a local directory;
  - L{ftpkit.shells.memory.MemoryShell}: a tree in memory, the example to
    copy when writing a shell;
  - L{ftpkit.shells.wrappers}: read-only and upload-only views of another
    shell (L{ftpkit.shells.dotfiles}: one without dotfiles), on the base
    of L{ftpkit.shells.shellwrapper}.
"""
