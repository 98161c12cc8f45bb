"""The toolkit's version, in a module of its own: the compile cache keys on it, and importing
the package's ``__init__`` from there would make an import cycle (``__init__`` imports the
config, which compiles callbacks)."""

__version__ = "0.1.0"
