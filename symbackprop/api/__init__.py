"""The Python API, a door: the command line's pipeline as functions (`functions`: load, parse,
derive, train, worksheet, proof) whose results display themselves in a notebook (`display`),
and PyTorch models explained (`torch_bridge`: from_torch, compare_torch). `import symbackprop`
hands these names on.
"""
