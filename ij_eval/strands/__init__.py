"""Analysis strands, run in this order. Each module follows ``ij_eval.strands.base``."""

from ij_eval.strands import hotspots, overview, reoffending

STRANDS = (overview, reoffending, hotspots)

__all__ = ["STRANDS"]
