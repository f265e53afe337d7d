"""Analysis strands, run in this order. Each module follows ``ij_eval.strands.base``."""

from ij_eval.strands import experience, hotspots, implementation, overview, reoffending, value_for_money

# value_for_money last: it values the effects the strands before it estimated.
STRANDS = (overview, reoffending, hotspots, implementation, experience, value_for_money)

__all__ = ["STRANDS"]
