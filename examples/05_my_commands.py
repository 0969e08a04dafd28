#!/usr/bin/env python
"""This experiment showcases the concept of commands in Sacred.

By just using the ``@ex.command`` decorator we can add additional commands to
the command-line interface of the experiment::

  $ ./05_my_commands.py greet
  WARNING - my_commands - No observers have been added to this run
  INFO - my_commands - Running command 'greet'
  INFO - my_commands - Started
  Hello John! Nice to greet you!
  INFO - my_commands - Completed after 0:00:00

::

  $ ./05_my_commands.py shout
  ...
  WHAZZZUUUUUUUUUUP!!!????

Of course we can also use ``with`` and other flags with those commands::

  $ ./05_my_commands.py greet with name='Jane' -l WARNING
  WARNING - my_commands - No observers have been added to this run
  Hello Jane! Nice to greet you!

In fact, the main function is also just a command::

  $ ./05_my_commands.py main
  ...
  This is just the main command. Try greet or shout.

Commands also appear in the help text, and you can get additional information
about all commands using ``./05_my_commands.py help [command]``.
"""

from sacred import Experiment

ex = Experiment("my_commands")


@ex.config
def cfg():
    name = "John"  # the person to greet


@ex.command
def greet(name):
    """Print a nice greet message.

    Uses the name from config.
    """
    print(f"Hello {name}! Nice to greet you!")


@ex.command
def shout():
    """Shout slang question for "what is up?"."""
    print("WHAZZZUUUUUUUUUUP!!!????")


@ex.automain
def main():
    print("This is just the main command. Try greet or shout.")
