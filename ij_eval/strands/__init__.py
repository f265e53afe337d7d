"""Analysis strands, run in this order. Each module follows ``ij_eval.strands.base``."""

from ij_eval.strands import experience, hotspots, implementation, overview, reoffending

STRANDS = (overview, reoffending, hotspots, implementation, experience)

__all__ = ["STRANDS"]
