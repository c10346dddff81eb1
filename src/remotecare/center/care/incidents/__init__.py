"""Fault monitoring: what printers report becomes incidents with a severity and someone
to act, folded while they repeat or flap, resolved when the printer recovers."""
