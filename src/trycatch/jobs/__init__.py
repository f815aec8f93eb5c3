"""Background work of a server process.

- ``delivery``: the worker that emails due replies (``DeliveryWorker``).
"""

from trycatch.jobs.delivery import DeliveryWorker

__all__ = ["DeliveryWorker"]
