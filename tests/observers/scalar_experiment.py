"""A small experiment that logs a metric, prints, and can be told to fail (shared by tests)."""

from __future__ import annotations


def make_scalar_experiment(name: str):
    """An Experiment ``name``: config ``steps=3, fail=False``; logs ``loss`` 1/(i+1) per step,
    prints ``finished``, raises ``ValueError("asked to fail")`` if ``fail``, returns ``steps * 2``.
    """
    from sacred import Experiment

    ex = Experiment(name)

    @ex.config
    def cfg():
        steps = 3  # noqa: F841 - a config entry
        fail = False  # noqa: F841 - a config entry

    @ex.main
    def main(steps, fail, _run):
        for i in range(steps):
            _run.log_scalar("loss", 1.0 / (i + 1), i)
        print("finished")
        if fail:
            raise ValueError("asked to fail")
        return steps * 2

    return ex
