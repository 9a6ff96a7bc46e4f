"""The terminal demo: type as a patient, read what the bot would answer.

It drives the very same :class:`~bot.conversation.Conversation` as Telegram; buttons are
shown as numbered choices. Nothing is stored and nobody is alerted.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation import CB_FAQ, CB_OTHER, CB_THEME, CB_THEMES, Conversation, Reply

BANNER = """\
=== Démo de l'assistant de suivi (injection de botox, syndrome des releveurs) ===
Écrivez comme un patient. Tapez le numéro d'un choix pour « appuyer » sur un bouton.
Commandes : /aide  /questions  /urgence  /quitter
(Démo : rien n'est enregistré, personne n'est alerté. Numéro affiché : {hotline}{demo})
"""


class ConsoleDemo:
    def __init__(self, conversation: Conversation, hotline_is_demo: bool) -> None:
        self.conv = conversation
        self.hotline_is_demo = hotline_is_demo
        self.choices: list[str] = []

    def banner(self) -> str:
        demo = " — numéro fictif, réglez HOTLINE_PHONE" if self.hotline_is_demo else ""
        return BANNER.format(hotline=self.conv.hotline, demo=demo)

    def press(self, data: str) -> Reply | None:
        if data == CB_OTHER:
            return self.conv.other_question()
        if data == CB_THEMES:
            return self.conv.themes()
        if data.startswith(CB_FAQ):
            return self.conv.answer_by_id(data[len(CB_FAQ) :])
        if data.startswith(CB_THEME) and data[len(CB_THEME) :].isdigit():
            return self.conv.theme(int(data[len(CB_THEME) :]))
        return None

    def handle(self, line: str) -> Reply | None:
        """The reply to one typed line; None means quit."""
        text = line.strip()
        if text in {"/quitter", "/quit", "/exit"}:
            return None
        if text.isdigit() and 1 <= int(text) <= len(self.choices):
            reply = self.press(self.choices[int(text) - 1])
            if reply is not None:
                return reply
        if text in {"/start"}:
            return self.conv.welcome()
        if text in {"/aide", "/help"}:
            return self.conv.help()
        if text == "/questions":
            return self.conv.themes()
        if text == "/urgence":
            return self.conv.human_request()
        if text.startswith("/"):
            return self.conv.help()
        return self.conv.respond(line)

    def render(self, reply: Reply) -> str:
        lines = [f"Bot > {reply.text}"]
        self.choices = []
        for row in reply.buttons:
            for button in row:
                self.choices.append(button.data)
                lines.append(f"   [{len(self.choices)}] {button.label}")
        if reply.kind == "urgent":
            lines.append("   (En service, l'équipe serait alertée dans son groupe Telegram.)")
        if reply.offer_forward:
            lines.append("   (En service, un bouton permettrait de transmettre la question.)")
        return "\n".join(lines)

    def loop(
        self, read: Callable[[str], str] = input, write: Callable[[str], None] = print
    ) -> None:
        write(self.banner())
        write(self.render(self.conv.welcome()))
        while True:
            try:
                line = read("\nVous > ")
            except (EOFError, KeyboardInterrupt):
                write("\nÀ bientôt.")
                return
            reply = self.handle(line)
            if reply is None:
                write("À bientôt.")
                return
            write(self.render(reply))
