"""symbackprop: derive, verify, prove and print the mathematics of small neural networks."""

__version__ = "0.1.0"
