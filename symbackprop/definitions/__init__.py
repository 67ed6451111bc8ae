"""Stage 1, definitions: a worksheet definition read from YAML strictly and within bounds,
checked against the schema, and returned as frozen dataclasses; every error carries the file,
the key path and the problem. Also the canonical names of every quantity (`net[l][j]`,
`dJ/dW[l][j][k]`), the numbered names an author prints (w5), what pdflatex can print of a
title, the shipped data set of digits, and the errors the command line reports.

Nothing here knows SymPy: `check KEY.json` reads a key's definition without it.
"""
