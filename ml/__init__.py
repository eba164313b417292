"""The models: face detectors, face embedders and CLIP, each behind a small class that
loads lazily, built and cached by :mod:`ml.loader`. No Django models, no project app:
``faces`` and ``smart`` use this package, ``photos`` never does."""
