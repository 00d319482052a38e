"""The optional native part of anning: everything else is in pyproject.toml.

The extension speeds up the classifier; when it cannot be compiled (no C compiler), the install goes on
and anning uses its NumPy path, which gives the same results."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "anning.ml._ngrams",
            ["src/anning/ml/_ngrams.c"],
            # no fused multiply-add: the sums must round exactly as NumPy's do
            extra_compile_args=["-O2", "-ffp-contract=off"],
            optional=True,
        )
    ]
)
