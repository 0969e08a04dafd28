"""Launchers: execute picklable run items elsewhere and stream their events back.

* :mod:`.base`: the contract: :class:`~.base.LaunchTask` (what a launcher
  receives), the messages a run sends back and the ONE callback they go
  through (:data:`~.base.Report`), and the :class:`~.base.Launcher` interface;
* :mod:`.remote`: what executes a task where it runs (builds the stores'
  observers there, forwards every event through the callback);
* :mod:`.isolation`: how a long-lived worker keeps runs apart;
* :mod:`.driver`: the runner side: messages -> plugin hooks, outcomes, and a
  FAILED / INTERRUPTED record for runs whose worker died (:mod:`.salvage`);
* :mod:`.local` (``-n N``), :mod:`.dask_launcher` (``--launcher dask``),
  :mod:`.submitit_launcher` (``--launcher submitit``); :mod:`.plugin` registers
  them on the ``sacred_make_launcher`` hook.
"""
