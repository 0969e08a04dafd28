#!/usr/bin/env python
"""Keep progress bars out of the captured output.

The main function draws a progress bar that updates itself in place with
carriage returns and backspaces. On a terminal that shows one line; but the
captured output (what observers store, e.g. ``cout.txt``) would keep every
update. ``apply_backspaces_and_linefeeds`` as the ``captured_out_filter``
interprets those characters like a terminal, so only the final state is
stored::

  $ ./captured_out_filter.py -F my_runs
  $ cat my_runs/1/cout.txt
"""

import sys

from sacred import Experiment
from sacred.utils import apply_backspaces_and_linefeeds

ex = Experiment("progress")
ex.captured_out_filter = apply_backspaces_and_linefeeds


@ex.config
def cfg():
    steps = 20  # number of progress updates


def write_progress(done, total):
    sys.stdout.write("\r[%-20s] %3d%%" % ("#" * (20 * done // total), 100 * done // total))
    sys.stdout.flush()


@ex.automain
def main(steps):
    for step in range(steps + 1):
        write_progress(step, steps)
    sys.stdout.write("\b\b\b\bdone\n")  # overwrite the percentage
    print("finished %d steps" % steps)
