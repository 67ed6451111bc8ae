"""Stage 3, marking: the marking scheme as data, and its interpreters. Every quantity of a sheet
is recomputed from the ones before it, with or without each known mistake (`recompute`, and
`forms` for a batch or the matrix form); what honest rounding of those inputs can reach is the
one correctness rule (`rounding`); that arithmetic is traced (`trace`) into expression trees,
the scheme a key carries (`scheme_writer`); `scheme` interprets it for one blank, `check` for a
student's answers, `keys` reads and validates a KEY.json, `gradebook` marks a class, and
`audit` judges the figures a published worked example printed.
"""
