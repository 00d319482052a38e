"""The optional native parts of anning: everything else is in pyproject.toml.

Two small C extensions: ``_ngrams`` reads texts for the classifier, ``_rx`` runs the pattern rules with
PCRE2's JIT (linked against the system's libpcre2-8). When one cannot be compiled (no C compiler, no
libpcre2-8), the install goes on and anning uses its Python path, which gives the same results."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "anning.ml._ngrams",
            ["src/anning/ml/_ngrams.c"],
            # no fused multiply-add: the sums must round exactly as NumPy's do
            extra_compile_args=["-O2", "-ffp-contract=off"],
            optional=True,
        ),
        Extension(
            "anning.detectors._rx",
            ["src/anning/detectors/_rx.c"],
            extra_compile_args=["-O2"],
            # the shared library by its soname: Debian ships it without the -dev package's symlink
            libraries=[":libpcre2-8.so.0"],
            optional=True,
        ),
    ]
)
