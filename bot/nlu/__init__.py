"""Intent recognition from citizens' own words: corpus, features, training and the loaded model.

A floor of its own between the flows (which act on an intent) and the services: it reads its
data files and nothing else. Runtime code (`model`, `features`) needs only numpy; training and
evaluation (`training`, `evaluation`) use scikit-learn and run from the command line.
"""
