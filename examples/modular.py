#!/usr/bin/env python
"""A modular experiment built from nested ingredients.

``paths`` knows where data lives, ``dataset`` (which uses ``paths``) makes and
splits the data, and the experiment trains a least-squares model on it. The
experiment's config scope reads the ingredient configuration by name, and the
ingredient commands are available with their dotted names::

  $ ./modular.py print_config
  $ ./modular.py dataset.describe
  $ ./modular.py with dataset.n_samples=500 paths.base=/tmp
"""

import os

import numpy as np

from sacred import Experiment, Ingredient

paths = Ingredient("paths")


@paths.config
def paths_cfg():
    base = "."  # directory for data and results


dataset = Ingredient("dataset", ingredients=[paths])


@dataset.config
def dataset_cfg(paths):
    n_samples = 100  # number of data points
    noise = 0.1  # standard deviation of the label noise
    test_fraction = 0.2  # share held out for testing
    cache = os.path.join(paths["base"], "modular_data.npz")  # where the data is kept


@dataset.capture
def make_data(n_samples, noise, _rnd):
    features = _rnd.normal(size=(n_samples, 3))
    true_weights = np.array([1.5, -2.0, 0.5])
    labels = features @ true_weights + noise * _rnd.normal(size=n_samples)
    return features, labels


@dataset.capture
def split(features, labels, test_fraction):
    n_test = int(len(labels) * test_fraction)
    return features[n_test:], labels[n_test:], features[:n_test], labels[:n_test]


@dataset.command
def describe(n_samples, noise, cache):
    """Describe the data set this configuration produces."""
    print("%d samples, noise %.2f, cached in %s" % (n_samples, noise, cache))


ex = Experiment("modular", ingredients=[dataset])


@ex.config
def cfg(dataset):
    regularization = 0.0  # ridge penalty
    report_every = dataset["n_samples"] // 4  # a value derived from an ingredient


@ex.capture
def fit(features, labels, regularization):
    gram = features.T @ features + regularization * np.eye(features.shape[1])
    return np.linalg.solve(gram, features.T @ labels)


@ex.automain
def main(_log):
    train_x, train_y, test_x, test_y = split(*make_data())
    weights = fit(train_x, train_y)
    error = float(np.mean((test_x @ weights - test_y) ** 2))
    _log.info("weights: %s", np.round(weights, 2))
    return error
