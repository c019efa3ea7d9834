"""The shared vocabulary: domain values, the exception tree, the ports (Protocols the
adapters and storage implement), the clock, cards (the render seam), story ids, metrics
and the config-section mapping.

May import: the standard library only. Everything else under ``bot/`` may import it.
"""
