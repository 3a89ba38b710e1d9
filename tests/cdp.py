"""Headless Chromium driven over the Chrome DevTools protocol on a pipe
(`--remote-debugging-pipe`: JSON messages ended by NUL on file descriptors 3 and 4),
so a test can keep one tab open and watch it change, with no extra library.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

from test_export_browser import FLAGS, chromium


class Browser:
    """One headless Chromium; `open()` gives a tab's session id."""

    def __init__(self, profile: Path) -> None:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # Above 10, so that placing them at 3 and 4 in the child cannot overwrite one.
        high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)

        def place() -> None:
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=place,
        )
        os.close(high_r)
        os.close(high_w)
        self.write_fd = to_browser_w
        self.read_fd = from_browser_r
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        os.close(self.write_fd)
        os.close(self.read_fd)

    def _message(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                return None
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self.buffer += chunk
        data, _, self.buffer = self.buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(data)
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """Call `method` and return its result (events met meanwhile are kept)."""
        self.next_id += 1
        call: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            call["sessionId"] = session
        os.write(self.write_fd, json.dumps(call).encode() + b"\0")
        while True:
            message = self._message(60)
            if message is None:
                raise TimeoutError(method)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def open(self, url: str) -> str:
        """A new tab showing `url`: its session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session: str = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.send("Page.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
        )
        return result.get("result", {}).get("value")

    def wait_for(self, session: str, expression: str, timeout: float) -> Any:
        """The value of `expression` in the tab once truthy; TimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(session, expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression} still {value!r} after {timeout} s")
            time.sleep(0.02)

    def wait_event(self, method: str, timeout: float) -> dict[str, Any]:
        """The next event named `method` (one kept from before counts)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            message = self._message(max(0.0, deadline - time.monotonic()))
            if message is None:
                raise TimeoutError(method)
            self.events.append(message)
