#!/usr/bin/env python
"""Custom commands next to the main function.

$ ./custom_command.py scream
AAAaaaaaaaahhhhhh...
$ ./custom_command.py help scream
scream()
    scream, and shout, and let it all out ...
$ ./custom_command.py greet with 'name="Bob"'
Hello Bob!
$ ./custom_command.py helper   # unobserved: never stored by observers
"""

from sacred import Experiment

ex = Experiment("custom_command")


@ex.config
def cfg():
    name = "John"  # who is greeted


@ex.command
def scream():
    """
    scream, and shout, and let it all out ...
    """
    print("AAAaaaaaaaahhhhhh...")


@ex.command
def greet(name):
    """
    Print a simple greet message.
    """
    print("Hello %s!" % name)


@ex.command(unobserved=True)
def helper(name):
    """A helper that observers never record."""
    print("Running this command will not result in a DB entry!")


@ex.automain
def main():
    print("Try the commands scream, greet and helper.")
