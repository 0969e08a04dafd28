"""The ``sacred`` command: collect experiment files and run them, shaped like pytest.

``sacred collect [PATHS]`` lists what exists; ``sacred run [PATHS] [COMMAND]
[with UPDATES...]`` runs every collected experiment as its own observed run.
The in-file API (``python my_experiment.py with a=1``) is untouched by this
package.
"""

from sacred_runner.errors import ExitCode, UsageError

__all__ = ["ExitCode", "UsageError", "__version__"]

__version__ = "0.9.0.dev0"
