"""Primitive specs for the table-driven gradient test (tests/test_primitives.py).

Each module in this package defines ``SPECS``: a list of :class:`Spec`. One
module per family, so that families can be added without touching each other.
"""
