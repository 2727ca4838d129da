"""A bot that takes its time, one reader at a time: the queue, the progress bar and toasts
(``concurrency_limit``, ``show_progress``, ``Progress``, ``Info``, ``Warning``, ``Success``).
Open /queue-demo/ in two or three tabs and send from each: the later ones wait in line, whichever
of the server's workers serves them (the sample app sets ``CHATBOT_QUEUE_SCOPE = "host"``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Blueprint

from flask_chatbot import Info, Progress, Success, Warning, chat_bp

# Seconds each of the five steps takes (CHATBOT_QUEUE_DEMO_STEP: the e2e tests shorten it).
STEP = float(os.environ.get("CHATBOT_QUEUE_DEMO_STEP", "0.6"))
STEPS = ["Reading the question", "Looking things up", "Weighing the answers", "Writing", "Checking"]


def slow_bot(message: str, history: list[dict], progress: Progress = Progress()) -> Iterator[str]:
    Info(f"Working on “{message[:60]}”", duration=4)
    if not message.strip().endswith("?"):
        Warning("That does not look like a question; answering anyway.", title="Hmm")
    for _ in progress.tqdm(STEPS, desc="Thinking", unit="steps"):
        time.sleep(STEP)
    progress(None, desc="Streaming the answer")
    answer = f"After {len(STEPS)} careful steps: **{message.strip() or 'nothing'}** deserves a thoughtful reply."
    for end in range(0, len(answer) + 1, 8):
        yield answer[:end]
        time.sleep(0.02)
    yield answer
    Success("Done", duration=3)


def queue_blueprint() -> Blueprint:
    return chat_bp(
        slow_bot,
        name="queue_demo",
        title="One at a time",
        description="This bot serves **one reader at a time** (`concurrency_limit=1`) and shows its progress "
        '(`show_progress="full"`). Send a question from two tabs: the second waits in line.',
        concurrency_limit=1,
        show_progress="full",
        examples=["What is a queue?", "Tell me a story"],
    )
