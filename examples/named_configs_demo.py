#!/usr/bin/env python
"""Named configurations: config scopes that are applied only on request.

The default configuration is ``{'a': 10, 'b': 30, 'c': 'foo'}``::

  $ ./named_configs_demo.py with variant1
  {'a': 100, 'b': 300, 'c': 'bar'}
  $ ./named_configs_demo.py with variant1 a=23
  {'a': 23, 'b': 69, 'c': 'bar'}

A config file works as a named config too: ``with my_variant.json``.
"""

from sacred import Experiment

ex = Experiment("named_configs_demo")


@ex.config
def cfg():
    a = 10
    b = 3 * a
    c = "foo"


@ex.named_config
def variant1():
    """Ten times a, and another c."""
    a = 100
    c = "bar"


@ex.automain
def main(a, b, c):
    print({"a": a, "b": b, "c": c})
