"""Output drivers around the one worksheet model: HTML practice pages (LaTeX/PDF lives in
render.py and pdf.py)."""
