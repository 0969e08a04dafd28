#!/usr/bin/env python
"""Use a custom logger for an experiment.

Sacred logs through the experiment's logger; every captured function gets a
child of it as ``_log``. Here the logger has its own format and level::

  $ ./log_example.py
  [custom] WARNING my_custom_logger.transmogrify: Transmogrifying 3 items!
  [custom] INFO my_custom_logger.transmogrify: done
"""

import logging

from sacred import Experiment

logger = logging.getLogger("my_custom_logger")
handler = logging.StreamHandler()
handler.setFormatter(logging.Formatter("[custom] %(levelname)s %(name)s: %(message)s"))
logger.addHandler(handler)
logger.setLevel(logging.INFO)
logger.propagate = False

ex = Experiment("log_example")
ex.logger = logger


@ex.config
def cfg():
    items = 3  # how many items to transmogrify


@ex.capture
def transmogrify(items, _log):
    _log.warning("Transmogrifying %d items!", items)
    _log.debug("this is hidden at level INFO")
    _log.info("done")


@ex.automain
def main():
    transmogrify()
