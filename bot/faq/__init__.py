"""FAQ engine: admin-edited question/answer cards, French normalisation and matching.

No telegram import here: the conversation core calls :meth:`Faq.match` and decides what to
send; the console demo and ``python -m bot ask`` do the same.
"""

from bot.faq.engine import Faq
from bot.faq.loader import load_faq
from bot.faq.model import FaqEntry, FaqResult

__all__ = ["Faq", "FaqEntry", "FaqResult", "load_faq"]
