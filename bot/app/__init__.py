"""The composition root and the command line: the only package that imports
``adapters/`` and ``storage/``, reads files and the environment, and runs the loops.

May import: everything.
"""
