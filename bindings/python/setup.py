"""Marks the wheel as platform-specific: it carries compiled code (pyproject.toml has the rest)."""
from setuptools import setup
from setuptools.dist import Distribution


class BinaryDistribution(Distribution):
    def has_ext_modules(self) -> bool:
        return True


setup(distclass=BinaryDistribution)
