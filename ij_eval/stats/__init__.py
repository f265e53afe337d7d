"""Estimators no library gives correctly, each small and tested against a reference.

- ``rmst``: restricted mean survival time with its Greenwood-type standard error (as R's
  ``survival`` computes it; lifelines returns the variance of min(T, tau) instead).
- ``evalue``: E-values for risk ratios and hazard ratios (VanderWeele & Ding 2017).
- ``power``: minimum detectable difference in a proportion between two groups.
"""
