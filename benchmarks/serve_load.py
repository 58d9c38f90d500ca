#!/usr/bin/env python3
"""Load on `charlstm serve`, on localhost only and bounded in count and time (it stops by itself):

  1. aggregate characters per second with 1, 4, 16 and 64 concurrent streaming clients (each streaming one long
     completion, counted by the server's own /health counter over a fixed window), in rounds that alternate the
     levels, each level's median reported;
  2. a load test: 64 concurrent clients for 20 s, each sending streaming requests of 100-1000 characters one
     after another (streams join and leave the batch all the time): throughput, time to first character (median,
     p99), requests done, the server's resident memory (sampled, and its peak);
  3. the fuzzer's requests (damaged copies of a good request) interleaved with good ones: every good one must be
     answered 200;
  4. /health afterwards, and the memory back near where it started.

    python3 benchmarks/serve_load.py --checkpoint Checkpoints/pretrained [--seconds 5] [--rounds 3] [--load-seconds 20] \
        [--record serve_pretrained]

With --record NAME the figures go to benchmarks/results/NAME-<machine>.json (results.py), from which README's
Serving tables are rendered (render_tables.py: `serve_throughput`, `serve_load`). Recorded keys: `model` (cell,
layers, hidden, vocabulary), `chars_per_s` (aggregate by streams, the median of `chars_per_s_rounds`), `load` (requests, failures, chars_per_s,
ttfc_median_ms, ttfc_p99_ms, rss_max_kib, seconds), `fuzz` (rounds, statuses, good_ok), `rss_kib` (start, after,
peak).
"""
import argparse
import json
import random
import re
import socket
import statistics
import subprocess
import threading
import time

PROMPTS = ["ROMEO:", "JULIET:\nO Romeo", "First Citizen:\n", "KING RICHARD III:\nNow is the winter", "\n"]


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def http(port, method, path, body=None, timeout=10):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        data = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        if body is not None:
            data += f"Content-Type: application/json\r\nContent-Length: {len(body.encode())}\r\n"
        s.sendall((data + "\r\n" + (body or "")).encode())
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head else 0
    return status, rest


def health(port):
    status, body = http(port, "GET", "/health")
    return json.loads(body) if status == 200 else None


def stream_once(port, max_tokens, seed, stop_at=None, prompt="ROMEO:"):
    """One streaming completion; returns (seconds to the first character, characters seen roughly, ok)."""
    body = json.dumps({"prompt": prompt, "max_tokens": max_tokens, "stream": True, "seed": seed})
    started = time.monotonic()
    first = None
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall((f"POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode())
        seen = b""
        while True:
            if stop_at is not None and time.monotonic() >= stop_at:
                return first, True
            chunk = s.recv(65536)
            if not chunk:
                break
            if first is None:
                seen += chunk
                if b'"text":"' in seen and re.search(rb'"text":"[^"]', seen):
                    first = time.monotonic() - started
            if chunk.endswith(b"0\r\n\r\n") and b"[DONE]" in chunk:
                break
    return first, first is not None


def throughput(port, clients, seconds):
    stop_at = time.monotonic() + seconds + 1.5
    threads = [threading.Thread(target=stream_once, args=(port, 100000, i), kwargs={"stop_at": stop_at})
               for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # everyone has joined
    a, t0 = health(port)["characters"], time.monotonic()
    time.sleep(seconds)
    b, t1 = health(port)["characters"], time.monotonic()
    for t in threads:
        t.join()
    # Streams end when their clients go: wait for the batch to empty.
    deadline = time.monotonic() + 5
    while health(port)["streams"]["active"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return (b - a) / (t1 - t0)


def load_test(port, pid, clients, seconds):
    stop_at = time.monotonic() + seconds
    ttfc, done, failures, lock = [], [0], [0], threading.Lock()
    rss = []

    def client(index):
        rng = random.Random(index)
        while time.monotonic() < stop_at:
            first, ok = stream_once(port, rng.randint(100, 1000), rng.randrange(1 << 32), prompt=rng.choice(PROMPTS))
            with lock:
                if ok and first is not None:
                    ttfc.append(first)
                    done[0] += 1
                else:
                    failures[0] += 1

    a = health(port)["characters"]
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        rss.append(rss_kib(pid))
        time.sleep(0.25)
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    b = health(port)["characters"]
    ttfc.sort()
    return {"requests": done[0], "failures": failures[0], "chars_per_s": (b - a) / elapsed, "seconds": elapsed,
            "ttfc_median_ms": 1000 * statistics.median(ttfc), "ttfc_p99_ms": 1000 * ttfc[int(0.99 * (len(ttfc) - 1))],
            "rss_max_kib": max(rss)}


def fuzz(port, rounds):
    rng = random.Random(29)
    body = json.dumps({"prompt": "ROMEO:", "max_tokens": 20, "n": 2})
    good = (f"POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()
    noise = b" \r\n:{}\"0123456789-eE.\xff\x00\xc3"
    statuses, good_ok = {}, 0
    for _ in range(rounds):
        damaged = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(damaged))
            if rng.random() < 0.5:
                damaged[at] = noise[rng.randrange(len(noise))]
            else:
                del damaged[at]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
                s.sendall(bytes(damaged))
                # Done sending: a request whose damage made it wait for more bytes ends now, not after a timeout.
                s.shutdown(socket.SHUT_WR)
                reply = s.recv(64)
            status = int(reply.split(b" ")[1]) if reply.startswith(b"HTTP/1.1 ") else "closed"
        except (OSError, ValueError, IndexError):
            status = "closed"
        statuses[status] = statuses.get(status, 0) + 1
        code, _ = http(port, "POST", "/v1/completions", json.dumps({"prompt": "JULIET:", "max_tokens": 20}))
        good_ok += code == 200
    return statuses, good_ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--charlstm", default=".build/release/charlstm")
    parser.add_argument("--checkpoint", default="Checkpoints/pretrained")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load-seconds", type=float, default=20)
    parser.add_argument("--concurrency", default="1,4,16,64")
    parser.add_argument("--fuzz", type=int, default=300)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--record", metavar="NAME", help="record the figures as benchmarks/results/NAME-<machine>.json")
    args = parser.parse_args()
    info = json.loads(subprocess.run([args.charlstm, "info", args.checkpoint, "--json"], capture_output=True,
                                     text=True, check=True).stdout)
    rates, rounds = {}, {}
    recorded = {"model": {k: info.get(k) for k in ("cell", "layers", "hidden", "vocab_size")}}
    server = subprocess.Popen([args.charlstm, "serve", "--checkpoint", args.checkpoint, "--port", "0",
                               "--max-streams", "64"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(re.search(r":(\d+)", server.stdout.readline()).group(1))
    try:
        time.sleep(0.5)
        rss_start = rss_kib(server.pid)
        print(f"server pid {server.pid}, port {port}, RSS at start {rss_start / 1024:.1f} MiB")
        # Rounds alternate the concurrency levels, so that a burst of other work on a shared machine falls on
        # all of them; each level's figure is its median over the rounds.
        levels = [int(c) for c in args.concurrency.split(",")]
        for round in range(args.rounds):
            for clients in levels:
                rounds.setdefault(clients, []).append(throughput(port, clients, args.seconds))
            print(f"round {round + 1}: " + ", ".join(f"{c} streams {rounds[c][-1]:,.0f}" for c in levels) + " chars/s",
                  flush=True)
        for clients in levels:
            rates[clients] = statistics.median(rounds[clients])
            print(f"{clients:3d} streams: {rates[clients]:9,.0f} chars/s aggregate, median of {args.rounds} "
                  f"({rates[clients] / clients:,.0f} per stream; {rates[clients] / rates[min(rates)]:.1f}x one stream)",
                  flush=True)
        recorded["load"] = None
        if args.skip_load:
            return
        result = load_test(port, server.pid, 64, args.load_seconds)
        recorded["load"] = result
        print(f"load: 64 clients for {result['seconds']:.1f} s: {result['requests']} requests done, "
              f"{result['failures']} failed, {result['chars_per_s']:,.0f} chars/s, time to first character "
              f"median {result['ttfc_median_ms']:.1f} ms, p99 {result['ttfc_p99_ms']:.1f} ms, "
              f"RSS peak (sampled) {result['rss_max_kib'] / 1024:.1f} MiB", flush=True)
        statuses, good_ok = fuzz(port, args.fuzz)
        recorded["fuzz"] = {"rounds": args.fuzz, "statuses": {str(k): v for k, v in statuses.items()}, "good_ok": good_ok}
        print(f"fuzz: {args.fuzz} damaged requests answered {dict(sorted(statuses.items(), key=str))}; "
              f"good ones interleaved: {good_ok}/{args.fuzz} answered 200", flush=True)
        time.sleep(2)
        h = health(port)
        recorded["rss_kib"] = {"start": rss_start, "after": rss_kib(server.pid), "peak": rss_kib(server.pid, "VmHWM")}
        recorded["health_after"] = {"status": h["status"], "active": h["streams"]["active"], "connections": h["connections"]}
        print(f"after: /health {h['status']}, {h['streams']['active']} streams active, {h['connections']} connections; "
              f"RSS {rss_kib(server.pid) / 1024:.1f} MiB (start {rss_start / 1024:.1f}, "
              f"peak VmHWM {rss_kib(server.pid, 'VmHWM') / 1024:.1f})")
    finally:
        server.terminate()
        server.wait(timeout=10)
        if args.record:
            from results import record
            record(args.record, results={**recorded, "chars_per_s": {str(k): v for k, v in rates.items()},
                                         "chars_per_s_rounds": {str(k): v for k, v in rounds.items()}})


if __name__ == "__main__":
    main()
