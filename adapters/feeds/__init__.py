"""Feed I/O: guarded HTTP fetching, feedparser in a process pool, HTML autodiscovery.

Import the modules themselves (``adapters.feeds.fetch``, ``adapters.feeds.parse``...):
the package imports nothing, so a parse worker, which imports ``adapters.feeds.parse``,
does not load aiohttp (about 23 MB in every worker) for the fetcher it never uses.
"""
