#!/usr/bin/env python
"""An experiment using the ``dataset`` ingredient from ``dataset_ingredient.py``.

The ingredient's configuration shows up under ``dataset`` and its command
under ``dataset.stats``::

  $ ./ingredient.py print_config
  ...
  Configuration (modified, added, typechanged, doc):
    seed = 586408722
    dataset:
      filename = 'my_dataset.npy'
      normalize = True
  $ ./ingredient.py dataset.stats
  ...
  Statistics for dataset "my_dataset.npy":
  mean = 13.37
  $ ./ingredient.py with dataset.normalize=False
"""

from dataset_ingredient import data_ingredient, load_data

from sacred import Experiment

ex = Experiment("my_experiment", ingredients=[data_ingredient])


@ex.automain
def run():
    data = load_data()  # just use the function
    print("loaded %d values, mean %.2f" % (len(data), data.mean()))
