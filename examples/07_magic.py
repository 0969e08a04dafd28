#!/usr/bin/env python
"""A standard machine learning task using many of Sacred's idioms.

A logistic-regression classifier is trained with gradient descent on a
synthetic two-class data set (two Gaussian blobs) and the test accuracy is
returned as the result. Compare with ``08_less_magic.py``, which does the same
without the magic:

  - configuration defined through local variables of a config scope
  - parameters injected into captured functions
  - the command line wired up by ``ex.automain``

Try::

  $ ./07_magic.py print_config
  $ ./07_magic.py with learning_rate=0.5 n_samples=400
"""

import numpy as np

from sacred import Experiment

ex = Experiment("magic_classifier")


@ex.config
def cfg():
    """Data set and training parameters."""
    n_samples = 200  # points per class
    separation = 2.0  # distance between the two class centres
    test_fraction = 0.25  # share of the data held out for testing
    learning_rate = 0.1  # step size of gradient descent
    epochs = 300  # passes over the training data
    l2 = 0.001  # strength of the L2 penalty


@ex.capture
def make_data(n_samples, separation, _rnd):
    """Two Gaussian blobs in 2D, labelled 0 and 1."""
    centre = np.array([separation / 2, separation / 2])
    x0 = _rnd.normal(size=(n_samples, 2)) - centre
    x1 = _rnd.normal(size=(n_samples, 2)) + centre
    features = np.vstack([x0, x1])
    labels = np.concatenate([np.zeros(n_samples), np.ones(n_samples)])
    return features, labels


@ex.capture
def split(features, labels, test_fraction, _rnd):
    order = _rnd.permutation(len(labels))
    n_test = int(len(labels) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return features[train], labels[train], features[test], labels[test]


@ex.capture
def train(features, labels, learning_rate, epochs, l2):
    """Fit weights and bias of a logistic regression by gradient descent."""
    weights = np.zeros(features.shape[1])
    bias = 0.0
    for _ in range(epochs):
        probabilities = 1 / (1 + np.exp(-(features @ weights + bias)))
        error = probabilities - labels
        weights -= learning_rate * (features.T @ error / len(labels) + l2 * weights)
        bias -= learning_rate * error.mean()
    return weights, bias


def accuracy(weights, bias, features, labels):
    predictions = (features @ weights + bias) > 0
    return float((predictions == labels.astype(bool)).mean())


@ex.automain
def run():
    features, labels = make_data()
    train_x, train_y, test_x, test_y = split(features, labels)
    weights, bias = train(train_x, train_y)
    return accuracy(weights, bias, test_x, test_y)
