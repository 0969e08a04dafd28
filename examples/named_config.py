#!/usr/bin/env python
"""A Hello World experiment with a named configuration.

The named config ``rude`` is only used when asked for::

  $ ./named_config.py
  ...
  Hello world!
  $ ./named_config.py with rude
  ...
  Go away, world!
  $ ./named_config.py print_named_configs
  ...
  Named Configurations (doc):
    rude   # A rude named config
"""

from sacred import Experiment

ex = Experiment("hello_config")


@ex.named_config
def rude():
    """A rude named config"""
    recipient = "world"
    message = f"Go away, {recipient}!"


@ex.config
def cfg():
    recipient = "world"
    message = f"Hello {recipient}!"


@ex.automain
def main(message):
    print(message)
