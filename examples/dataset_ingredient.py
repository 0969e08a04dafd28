"""A reusable ``dataset`` ingredient: where the data is and how to load it.

Used by ``ingredient.py``. Without a data file at ``filename`` a small
reproducible one is created first (``create_if_missing``).
"""

import os

import numpy as np

from sacred import Ingredient

data_ingredient = Ingredient("dataset")


@data_ingredient.config
def cfg():
    filename = "my_dataset.npy"  # the .npy file holding the data
    normalize = True  # subtract the mean after loading
    create_if_missing = True  # write a reproducible example file if there is none


@data_ingredient.capture
def ensure_file(filename, create_if_missing, _log):
    """Create a reproducible example data file (mean 13.37) if none exists."""
    if os.path.exists(filename) or not create_if_missing:
        return
    _log.info("Creating example data in %s", filename)
    values = np.linspace(0.0, 26.74, 101)
    np.save(filename, values)


@data_ingredient.capture
def load_data(filename, normalize):
    ensure_file()
    data = np.load(filename)
    if normalize:
        data = data - np.mean(data)
    return data


@data_ingredient.command
def stats(filename):
    """Print the mean of the dataset."""
    ensure_file()
    print('Statistics for dataset "%s":' % filename)
    data = np.load(filename)
    print("mean = %0.2f" % np.mean(data))
