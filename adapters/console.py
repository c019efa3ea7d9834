"""The console adapter: posts print to a terminal, commands come from a prompt or a pipe.

It is a chat platform like the others: the same cards, the same commands, the same
outbox. The console user manages their own "chat", like a person in a DM.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
from typing import TextIO

from bot.commands.router import Commands, Invocation
from bot.core.cards import Action, Card, Line, Link, Text
from bot.core.domain import Destination, MessageRef

CONSOLE = Destination("console", "local")
RULE = "─" * 72


def render_line(value: Line, *, show_links: bool) -> str:
    out = []
    for part in value:
        if isinstance(part, Link):
            # Citation markers stay short; other links show where they lead.
            if show_links and not part.text.startswith("["):
                out.append(f"{part.text} <{part.url}>")
            else:
                out.append(part.text)
        elif isinstance(part, Text) and part.style == "bold":
            out.append(part.text.upper() if len(part.text) < 40 else part.text)
        else:
            out.append(part.text)
    return "".join(out)


def render_console(card: Card) -> str:
    """A card as terminal text: headline, body, sections, small print, buttons."""
    lines: list[str] = []
    if card.title:
        lines.append(card.title)
        if card.title_url:
            lines.append(f"  <{card.title_url}>")
    lines.extend(render_line(p, show_links=True) for p in card.body)
    if card.fields:
        lines.append("   ".join(f"▸ {f.name}" for f in card.fields))
    lines.extend(card.footer)
    if card.buttons:
        lines.append(" ".join(f"[{b.label}]" for b in card.buttons))
    return "\n".join(lines)


class ConsoleMessenger:
    """Prints posts; message ids count up so replies and edits can refer to them."""

    platform = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._ids = itertools.count(1)
        self.sent: list[tuple[Destination, Card]] = []

    def _print(self, text: str) -> None:
        self.out.write(f"{RULE}\n{text}\n")
        self.out.flush()

    async def send(self, destination: Destination, card: Card, *, nonce: str) -> MessageRef:
        self.sent.append((destination, card))
        self._print(render_console(card))
        return MessageRef(destination, str(next(self._ids)))

    async def edit(self, ref: MessageRef, card: Card) -> None:
        self._print(f"(post {ref.message_id} updated)\n{render_console(card)}")

    async def reply(self, ref: MessageRef, card: Card, *, nonce: str) -> MessageRef:
        self._print(f"(reply to post {ref.message_id})\n{render_console(card)}")
        return MessageRef(ref.destination, str(next(self._ids)))


class ConsoleChat:
    """Reads commands line by line and prints the answers (a prompt on a terminal)."""

    def __init__(
        self, commands: Commands, *, stdin: TextIO | None = None, out: TextIO | None = None
    ) -> None:
        self.commands = commands
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stdout
        self.invocation = Invocation(CONSOLE, user_id="local", can_manage=True, is_private=True)

    async def handle(self, text: str) -> str:
        text = text.strip()
        if not text:
            return ""
        action = Action.decode(text.strip("[]")) if text.startswith("[") else None
        if action is not None:
            card = await self.commands.press(self.invocation, action)
        else:
            card = await self.commands.run(self.invocation, text)
        return render_console(card)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Until end of input, ``/quit`` or ``stop``."""
        interactive = self.stdin.isatty()
        lines: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def read() -> None:
            # A daemon thread: a blocked readline must not keep the process alive at exit.
            while True:
                text = self.stdin.readline()
                loop.call_soon_threadsafe(lines.put_nowait, text)
                if not text:
                    return

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
        try:
            while True:
                if interactive:
                    self.out.write("newsbot> ")
                    self.out.flush()
                getter = asyncio.ensure_future(lines.get())
                waiting = {getter} if stopper is None else {getter, stopper}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    return
                text = getter.result()
                if not text or text.strip() in ("/quit", "/exit"):
                    return
                answer = await self.handle(text)
                if answer:
                    self.out.write(answer + "\n")
                    self.out.flush()
        finally:
            if stopper is not None:
                stopper.cancel()
