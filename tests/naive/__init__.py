"""Deliberately slow, obviously-correct implementations: the oracles the kernels are checked against.

Loops written for clarity, not speed; use them on small images only.
"""
