"""Clone detection: reads to clones, in one pass per read over one k-mer index.

``pipeline.Detector`` is the entry point (``run.analyse_file`` adds the outputs):
``index`` builds the k-mer index of a preset, ``affect`` finds each read's
recombination and junction window, ``windows`` counts the windows, ``merge`` folds
windows that differ by sequencing errors into their clone (as the reads come too,
for a big input), ``consensus`` gives a clone's representative sequence and
``diversity`` the indices; ``allocator`` gives freed memory back.  ``warmup``
compiles the numba kernels once per machine; ``chunks`` analyses one big input in
chunks on several workers, with the result of a single pass.

Nothing is imported here: a module's kernels load only when it is used.
"""
