#!/usr/bin/env python
"""The task of ``07_magic.py`` without Sacred's magic.

  - the configuration is a plain dictionary (it could also be a JSON or YAML
    file given to ``ex.add_config``)
  - there are no captured functions: only the main function receives
    ``_config`` and reads every parameter from it explicitly
  - ``ex.main`` instead of ``ex.automain``, and ``ex.run()`` is called
    explicitly, so no command line is parsed

Sacred still tracks the run: add observers to ``ex.observers`` to store it.
"""

import numpy as np

from sacred import Experiment

ex = Experiment("less_magic_classifier")

ex.add_config(
    {
        "n_samples": 200,
        "separation": 2.0,
        "test_fraction": 0.25,
        "learning_rate": 0.1,
        "epochs": 300,
        "l2": 0.001,
        "seed": 42,
    }
)


def make_data(n_samples, separation, rng):
    centre = np.array([separation / 2, separation / 2])
    x0 = rng.normal(size=(n_samples, 2)) - centre
    x1 = rng.normal(size=(n_samples, 2)) + centre
    labels = np.concatenate([np.zeros(n_samples), np.ones(n_samples)])
    return np.vstack([x0, x1]), labels


def split(features, labels, test_fraction, rng):
    order = rng.permutation(len(labels))
    n_test = int(len(labels) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return features[train], labels[train], features[test], labels[test]


def train(features, labels, learning_rate, epochs, l2):
    weights = np.zeros(features.shape[1])
    bias = 0.0
    for _ in range(epochs):
        probabilities = 1 / (1 + np.exp(-(features @ weights + bias)))
        error = probabilities - labels
        weights -= learning_rate * (features.T @ error / len(labels) + l2 * weights)
        bias -= learning_rate * error.mean()
    return weights, bias


@ex.main
def run(_config):
    rng = np.random.default_rng(_config["seed"])
    features, labels = make_data(_config["n_samples"], _config["separation"], rng)
    train_x, train_y, test_x, test_y = split(features, labels, _config["test_fraction"], rng)
    weights, bias = train(
        train_x, train_y, _config["learning_rate"], _config["epochs"], _config["l2"]
    )
    predictions = (test_x @ weights + bias) > 0
    return float((predictions == test_y.astype(bool)).mean())


if __name__ == "__main__":
    finished = ex.run()
    print("accuracy:", finished.result)
