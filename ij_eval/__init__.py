"""ij-eval."""
