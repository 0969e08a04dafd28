"""Fit a line to noisy points with gradient descent."""

import random

from sacred import Experiment

ex = Experiment("regression")


@ex.config
def config():
    lr = 0.1  # learning rate
    steps = 50  # gradient steps
    noise = 0.1  # standard deviation of the noise


@ex.named_config
def careful():
    """Smaller steps, more of them."""
    lr = 0.01
    steps = 300


@ex.automain
def fit(lr, steps, noise, _run, _seed):
    """Fit y = w*x + b and return the final mean squared error."""
    rng = random.Random(_seed)
    points = [(x / 10, 2 * x / 10 + 1 + rng.gauss(0, noise)) for x in range(20)]
    w = b = 0.0
    for step in range(steps):
        grad_w = sum(2 * (w * x + b - y) * x for x, y in points) / len(points)
        grad_b = sum(2 * (w * x + b - y) for x, y in points) / len(points)
        w, b = w - lr * grad_w, b - lr * grad_b
        mse = sum((w * x + b - y) ** 2 for x, y in points) / len(points)
        _run.log_scalar("mse", mse, step)
    return round(mse, 6)
