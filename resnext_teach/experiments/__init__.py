"""Chapters 6 and 7's experiments: the claims about grouped convolution put to the test.

The data:

* ``image_data``   - ``ImageData`` (images and labels in memory, training and held-out) and its seeded loaders
* ``splits``       - the fixed, stratified train / validation / test split (``DataSplits``, ``stratified_split``)
* ``data``         - the data sets (scikit-learn's digits, offline; CIFAR-10 through torchvision) and augmentation

Training:

* ``training``     - a small deterministic training loop (``train``, ``evaluate``, ``History``)
* ``runs``         - models trained over seeds (``train_models``) and their summaries (``summarize``, paired differences)
* ``search``       - the learning-rate search on validation images (``search_learning_rate``, ``best_candidate``)
* ``plans``        - per data set, the epochs, learning rates and recipe of the search and the experiment, and how
  they are computed (``plan_for``: ``plan.search(...)``, ``plan.train(...)``)

The claims:

* ``probes``       - gradient and perturbation probes: does information stay within a group?
* ``correlations`` - group correlations: do different groups learn different features?
* ``speed``        - the groups timing sweep and model latencies: does runtime fall with the FLOPs?

Who may import what: these modules import the math (``counting``, ``blocks``, ``models``, ...) and the measuring
tools (``timing``, ``stats``, ``intensity``, ``devices``), never the book's machinery (``resnext_teach.book``); the
math never imports them. ``tests/test_layout.py`` checks the rule from the imports.
"""
