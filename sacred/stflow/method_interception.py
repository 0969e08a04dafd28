"""Sacred 0.8.7's ``sacred.stflow.method_interception``: where ``LogFileWriter`` lived.

:class:`~sacred.stflow.LogFileWriter` records the log directories of
TensorFlow summary writers; :class:`ContextMethodDecorator` is the method
wrapping it is built on in 0.8.7.
"""

from contextlib import ContextDecorator

from sacred.stflow import LogFileWriter
from sacred.stflow.internal import ContextMethodDecorator

__all__ = ["ContextDecorator", "ContextMethodDecorator", "LogFileWriter"]
