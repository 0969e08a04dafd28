#!/usr/bin/env python
"""The Hello World experiment with a config scope and a dictionary entry.

See how updates change the configuration::

  $ ./hello_config.py print_config with 'recipient="Bob"' d.foo=True
"""

from sacred import Experiment

ex = Experiment("hello_config")


@ex.config
def my_config():
    recipient = "world"
    message = "Hello %s!" % recipient
    d = {"foo": 1, "bar": 2}


@ex.automain
def my_main(message, d):
    print(message)
