"""The learned kind classifier: character n-grams with a linear model, trained by the project on its own
corpus (``anning train``) and run in pure Python at analysis time (no numpy or scikit-learn needed)."""
