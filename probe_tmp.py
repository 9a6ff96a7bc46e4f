import sys
from bot.conversation import Conversation
from bench.faq import FAQ_DIR, SOURCE_DIR, TRIAGE_FILE, BENCH_HOTLINE
from bot.faq import load_faq
from bot.triage import load_triage
from bench.faq_rounds import _got

conv = Conversation(load_faq(FAQ_DIR, SOURCE_DIR), load_triage(TRIAGE_FILE), BENCH_HOTLINE)
for t in sys.argv[1:]:
    print(repr(t), "->", _got(conv.respond(t)))
