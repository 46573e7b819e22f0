"""Pictures of a result: the inducible region on a grid (grid.py), drawing (draw.py), res.plot (picture.py)."""
