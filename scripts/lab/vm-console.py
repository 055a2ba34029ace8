#!/usr/bin/env python3
"""Drive a lab VM's serial console through the pty libvirt gives it.

Waits for the shell prompt (poking with Enter, since the prompt may already
have been printed before we attached), runs one command and checks that one
of its output lines equals the expected text.

usage: vm-console.py PTY --command CMD --expect TEXT [--prompt P] [--timeout S]
Exit 0 on success; non-zero with a transcript on stderr otherwise.
"""
import argparse
import os
import re
import select
import sys
import termios
import time
import tty


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("pty")
    ap.add_argument("--command", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--prompt", default="lab-vm# ")
    ap.add_argument("--banner", default="mirador-lab-vm ready")
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()

    fd = os.open(args.pty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    # Echo on our side of the pty would bounce guest output back into the
    # guest as keyboard input, so the line discipline must be raw.
    tty.setraw(fd, termios.TCSANOW)

    deadline = time.monotonic() + args.timeout
    transcript = bytearray()

    def read_for(seconds: float) -> None:
        end = min(deadline, time.monotonic() + seconds)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                continue
            except OSError:
                # EIO: qemu closed its side (guest died); keep the deadline.
                time.sleep(0.2)
                continue
            transcript.extend(chunk)

    def text() -> str:
        return transcript.decode("utf-8", "replace")

    def fail(msg: str) -> int:
        sys.stderr.write(f"vm-console: {msg}\n--- console transcript ---\n{text()}\n--- end ---\n")
        return 1

    prompt = args.prompt.encode()
    while prompt not in transcript:
        if time.monotonic() >= deadline:
            return fail(f"no prompt {args.prompt!r} within {args.timeout:.0f}s")
        os.write(fd, b"\r")
        read_for(2.0)
    banner_seen = args.banner in text()

    mark = len(transcript)
    os.write(fd, args.command.encode() + b"\r")
    want = re.compile(r"^" + re.escape(args.expect) + r"\r?$", re.M)
    while not want.search(transcript[mark:].decode("utf-8", "replace")):
        if time.monotonic() >= deadline:
            return fail(f"command {args.command!r} did not print {args.expect!r} within {args.timeout:.0f}s")
        read_for(0.5)

    os.close(fd)
    note = "" if banner_seen else " (boot banner was printed before we attached)"
    print(f"vm-console: prompt seen, {args.command!r} -> {args.expect!r}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
