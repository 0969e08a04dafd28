#!/usr/bin/env python
"""A config scope with a docstring, line comments and a dynamic entry.

$ ./config_demo.py print_config
Configuration (modified, added, typechanged, doc):
  \"\"\"This is my demo configuration\"\"\"
  a = 10                             # some integer
  e = 5.0                            # cool: a dynamic entry
  seed = 954471586                   # the random seed for this experiment
  foo:                               # a dictionary
    a_squared = 100
    bar = 'my_string10'
$ ./config_demo.py print_config with a=6
$ ./config_demo.py print_config with foo.bar=baobab
"""

from sacred import Experiment

ex = Experiment("config_demo")


@ex.config
def my_config():
    """This is my demo configuration"""

    a = 10  # some integer

    # a dictionary
    foo = {"a_squared": a**2, "bar": "my_string%d" % a}
    if a > 8:
        # cool: a dynamic entry
        e = a / 2


@ex.main
def run():
    pass


if __name__ == "__main__":
    ex.run_commandline()
