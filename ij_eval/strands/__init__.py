"""Analysis strands, run in this order. Each module follows ``ij_eval.strands.base``."""

from ij_eval.strands import overview, reoffending

STRANDS = (overview, reoffending)

__all__ = ["STRANDS"]
