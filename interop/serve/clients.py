#!/usr/bin/env python3
"""Drives `charlstm serve` with clients nobody here wrote: the official `openai` Python package (streaming and
not, n, stop, seed, errors) and `curl -N` (the stream arrives as it is generated). Every text is checked against
`charlstm generate` with the same seed. Loopback only; the server is started on a free port and stopped with
SIGTERM (which must end it cleanly). Prints 'N passed, N failed' and exits non-zero on any failure.

    python3 interop/serve/clients.py [--charlstm .build/release/charlstm] [--checkpoint Checkpoints/pretrained]
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        results["passed"] += 1
        print(f"ok    {name}")
    else:
        results["failed"] += 1
        print(f"FAIL  {name} {detail}")


def generate(charlstm, checkpoint, prime, seed, length, temperature, extra=()):
    """The text `charlstm generate` prints after the prime."""
    out = subprocess.run([charlstm, "generate", "--checkpoint", checkpoint, "--prime", prime, "--seed", str(seed),
                          "--length", str(length), "--temperature", str(temperature), *extra],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    assert out.startswith(prime)
    return out[len(prime):]


def start_server(charlstm, checkpoint, *options):
    process = subprocess.Popen([charlstm, "serve", "--checkpoint", checkpoint, "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", line)
    if not match:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r} {process.stderr.read()!r}")
    return process, match.group(1), int(match.group(2))


def stop_server(process, port, name):
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        code = None
    check(f"{name}: SIGTERM stops the server cleanly (exit 0)", code == 0, f"exit {code}")
    check(f"{name}: it stops within 5 s", time.monotonic() - started < 5)
    probe = socket.socket()
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", port))
        released = True
    except OSError:
        released = False
    finally:
        probe.close()
    check(f"{name}: the port is released", released)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--charlstm", default=".build/release/charlstm")
    parser.add_argument("--checkpoint", default="Checkpoints/pretrained")
    args = parser.parse_args()
    try:
        import openai
    except ImportError:
        print("skipped: the openai package is not installed (pip install openai)")
        return 0
    charlstm, checkpoint = args.charlstm, args.checkpoint
    process, url, port = start_server(charlstm, checkpoint)
    try:
        client = openai.OpenAI(base_url=url + "/v1", api_key="not-needed", max_retries=0, timeout=60)
        models = client.models.list()
        names = [m.id for m in models.data]
        check("models.list names the checkpoint", names == ["pretrained"], names)
        model = names[0]

        expected = generate(charlstm, checkpoint, "ROMEO:", 7, 200, 0.8)
        whole = client.completions.create(model=model, prompt="ROMEO:", max_tokens=200, seed=7, temperature=0.8)
        check("completions.create: the text of charlstm generate with the seed", whole.choices[0].text == expected,
              repr(whole.choices[0].text[:60]))
        check("completions.create: finish_reason length, usage in characters",
              whole.choices[0].finish_reason == "length" and whole.usage.completion_tokens == 200
              and whole.usage.prompt_tokens == 6, whole)

        pieces, finish, chunks = [], None, 0
        for chunk in client.completions.create(model=model, prompt="ROMEO:", max_tokens=200, seed=7, temperature=0.8,
                                               stream=True):
            chunks += 1
            for choice in chunk.choices:
                pieces.append(choice.text)
                finish = choice.finish_reason or finish
        check("stream=True: the pieces add up to the same text", "".join(pieces) == expected)
        # Characters go out as they are sampled, coalesced when the client falls behind a step: on an idle machine
        # 200 characters arrive in 50 or more chunks, on a busy CI machine in as few as 30; fewer than 10 would
        # mean the text is held back.
        check("stream=True: streamed in many pieces, then the finish", chunks >= 10 and finish == "length",
              f"{chunks} chunks, finish {finish}")

        several = client.completions.create(model=model, prompt="JULIET:", max_tokens=80, seed=100, n=3,
                                            temperature=1.0, top_p=0.9)
        texts = [c.text for c in sorted(several.choices, key=lambda c: c.index)]
        wanted = [generate(charlstm, checkpoint, "JULIET:", 100 + i, 80, 1.0, ["--top-p", "0.9"]) for i in range(3)]
        check("n=3: choice i is generate with seed + i", texts == wanted)

        full = generate(charlstm, checkpoint, "ROMEO:", 9, 400, 1.0)
        stopped = client.completions.create(model=model, prompt="ROMEO:", max_tokens=400, seed=9, stop=["\n\n"])
        cut = full.find("\n\n")
        check("stop: the text up to the stop text, without it, finish_reason stop",
              cut >= 0 and stopped.choices[0].text == full[:cut] and stopped.choices[0].finish_reason == "stop",
              repr(stopped.choices[0].text[-40:]))
        streamed_stop = "".join(c.choices[0].text for c in client.completions.create(
            model=model, prompt="ROMEO:", max_tokens=400, seed=9, stop="\n\n", stream=True) if c.choices)
        check("stop while streaming: the stop text never shows", streamed_stop == full[:cut])

        try:
            client.completions.create(model=model, prompt="ROMEO: ß", max_tokens=5)
            check("a prime character the model lacks: 400", False)
        except openai.BadRequestError as e:
            check("a prime character the model lacks: 400 naming it", "U+00DF" in str(e), str(e))
        try:
            client.completions.create(model="gpt-4", prompt="a", max_tokens=5)
            check("an unknown model: 404", False)
        except openai.NotFoundError as e:
            check("an unknown model: 404", "does not exist" in str(e), str(e))
        try:
            client.completions.create(model=model, prompt="a", max_tokens=-3)
            check("max_tokens -3: 400", False)
        except openai.BadRequestError as e:
            check("max_tokens -3: 400 naming the range", "from 0 to 100000" in str(e), str(e))

        # curl -N: the first event arrives long before the last one (flushed as sampled, not buffered).
        body = json.dumps({"model": model, "prompt": "ROMEO:", "max_tokens": 6000, "seed": 1, "stream": True})
        started = time.monotonic()
        curl = subprocess.Popen(["curl", "-sN", url + "/v1/completions", "-H", "Content-Type: application/json",
                                 "-d", body, "--max-time", "60"], stdout=subprocess.PIPE, text=True)
        first, events, done = None, 0, False
        for line in curl.stdout:
            if line.startswith("data: "):
                first = first or time.monotonic() - started
                events += 1
                done = done or line.strip() == "data: [DONE]"
        total = time.monotonic() - started
        curl.wait(timeout=60)
        check("curl -N: events until [DONE]", done and events > 100 and curl.returncode == 0, f"{events} events")
        check("curl -N: the first event comes at once, not at the end", first is not None and first < total / 4,
              f"first after {first:.3f} s of {total:.3f} s")
        health = json.loads(subprocess.run(["curl", "-s", url + "/health"], capture_output=True, text=True, timeout=10).stdout)
        check("/health afterwards: no stream left", health["status"] == "ok" and health["streams"]["active"] == 0, health)
    finally:
        stop_server(process, port, "serve")

    # A key: refused without it, served with it.
    process, url, port = start_server(charlstm, checkpoint, "--api-key", "k-123")
    try:
        try:
            openai.OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0).models.list()
            check("--api-key: a wrong key is refused", False)
        except openai.AuthenticationError:
            check("--api-key: a wrong key is refused (401)", True)
        models = openai.OpenAI(base_url=url + "/v1", api_key="k-123", max_retries=0).models.list()
        check("--api-key: the key is accepted", [m.id for m in models.data] == ["pretrained"])
    finally:
        stop_server(process, port, "serve --api-key")

    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    sys.exit(main())
