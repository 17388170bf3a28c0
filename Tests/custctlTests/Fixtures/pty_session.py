#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and plays a script against it, as a person at a terminal would.

usage: pty_session.py STEPS_JSON -- COMMAND...
STEPS_JSON is a list of steps: {"expect": TEXT} waits (up to 10 s) until TEXT has appeared on the
screen since the previous expect; {"send": TEXT} types TEXT; {"signal": NAME} sends a signal to the
command; {"close": true} ends the input (Ctrl-D). Prints one JSON object: the screen transcript, the
exit status (or -signal), and whether the terminal still echoes after the command ended.
"""
import json
import os
import pty
import select
import signal
import sys
import termios
import time


def main():
    steps = json.loads(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1:]
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    transcript = b""
    seen = 0
    failure = None

    def pump(timeout):
        nonlocal transcript
        ready, _, _ = select.select([master], [], [], timeout)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            transcript += chunk
        return True

    for step in steps:
        if "expect" in step:
            wanted = step["expect"].encode()
            deadline = time.time() + 10
            while wanted not in transcript[seen:] and time.time() < deadline:
                if not pump(0.05):
                    break
            index = transcript.find(wanted, seen)
            if index < 0:
                failure = "did not see %r" % step["expect"]
                break
            seen = index + len(wanted)
            time.sleep(0.05)  # let the prompt finish switching echo off before typing
        elif "send" in step:
            os.write(master, step["send"].encode())
        elif "signal" in step:
            os.kill(pid, getattr(signal, step["signal"]))
        elif "close" in step:
            os.write(master, b"\x04")
    deadline = time.time() + 20
    status = None
    while time.time() < deadline:
        pump(0.05)
        done, raw = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(raw)
            break
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        failure = failure or "the command did not end"
    while pump(0.05):
        pass
    echo = bool(termios.tcgetattr(master)[3] & termios.ECHO)
    print(json.dumps({"transcript": transcript.decode("utf-8", "replace"), "status": status, "echo": echo,
                      "failure": failure}))


main()
