"""The book's machinery: what a chapter calls to show things, never a formula of its own.

* ``notebook``   - ``setup()`` (seeds, allocator, figure style) and ``prose()`` (hands values to the page's text)
* ``svg``        - small inline SVG pictures (bars, connectivity matrices) with text alternatives
* ``figures``    - the block's three forms (the paper's Fig. 3), true to scale, with a text alternative
* ``plots``      - the chapters' other matplotlib plots that are more than a few lines: one call from a
                   ``hide-input`` cell (the bottleneck, timings, the roofline, training curves, the groups sweep)
* ``explorers``  - the interactive explorers: every position precomputed, live without a kernel
* ``exercises``  - the exercises' check functions, one declarative ``Exercise`` spec each
* ``syllabus``   - the instructor guide's tables (chapters, objectives, exercises)
* ``cli``        - the ``resnext-teach`` command: ``export`` (student editions), ``grading`` (run one submitted
                   notebook) and ``grades`` (the table and feedback of a class)

Who may import what: a module here may import anything in ``resnext_teach``; nothing outside ``book`` imports
it (the math and the experiments must work without ipywidgets or matplotlib). ``tests/test_layout.py`` checks
the rule from the imports.
"""
