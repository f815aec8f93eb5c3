"""trycatch: customer support built like a try/catch block.

The try block (docs, knowledge base, code examples, an AI agent) answers what it can;
the catch block (a ticket a human answers) takes the rest and feeds fixes upstream.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
