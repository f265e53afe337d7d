"""Figures drawn from a strand's plot data, never from raw inputs. Only this package imports matplotlib."""
