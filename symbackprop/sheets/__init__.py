"""Stage 4, the worksheet model: a sheet as data (sections, lines of working, labelled blanks,
the proofs it relies on) for one version of a definition (`worksheet`), and seed 000's lesson
pages (`lessons`; the digits classifier trained and measured, `digits_lesson`). No output
format's decisions are made here: the drivers in `formats` print the model.
"""
