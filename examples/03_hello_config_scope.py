#!/usr/bin/env python
"""A configurable Hello World "experiment".

In this example we configure the message using Sacred's special
``ConfigScope``. As with hello_config_dict you can run it like this::

  $ ./03_hello_config_scope.py
  WARNING - hello_cs - No observers have been added to this run
  INFO - hello_cs - Running command 'main'
  INFO - hello_cs - Started
  Hello world!
  INFO - hello_cs - Completed after 0:00:00

The message can also easily be changed using the ``with`` command-line
argument::

  $ ./03_hello_config_scope.py with message='Ciao world!'
  ...
  Ciao world!

But because we are using a ``ConfigScope`` that constructs the message from a
recipient we can also just modify that::

  $ ./03_hello_config_scope.py with recipient='Bob'
  ...
  Hello Bob!
"""

from sacred import Experiment

ex = Experiment("hello_cs")


# Every local variable of a config scope becomes a config entry; comments on
# the lines become their documentation (see `print_config`).
@ex.config
def cfg():
    """The greeting and who receives it."""
    recipient = "world"  # who is greeted
    message = "Hello %s!" % recipient  # the full greeting


@ex.automain
def main(message):
    print(message)
