"""Polling: which feeds are due (the schedule) and the watcher that fetches, parses
and stores them through the ports.

May import: ``bot.core``, ``bot.text``.
"""
