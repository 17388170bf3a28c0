#!/usr/bin/env python3
"""A loopback stand-in for Stripe's POST /v1/customers, for custctl's end-to-end tests.

Like Stripe, it answers a repeated Idempotency-Key with the customer the key first created.
Modes: ok, fail-first (HTTP 500 the first time a key is seen), slow (sleeps 5 s), not-json, reject (HTTP 402).
Every request is appended to --log as one JSON line. The bound port is written to --port-file.
It serves 127.0.0.1 only and exits after --lifetime seconds.
"""
import argparse
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--mode", default="ok")
parser.add_argument("--port-file", required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--lifetime", type=float, default=120)
args = parser.parse_args()

lock = threading.Lock()
customers = {}
seen = set()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *_):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        key = self.headers.get("Idempotency-Key")
        with lock:
            with open(args.log, "a") as log:
                log.write(json.dumps({
                    "path": self.path, "authorization": self.headers.get("Authorization"),
                    "idempotency_key": key, "form": dict(urllib.parse.parse_qsl(body)),
                }) + "\n")
            first_time = key not in seen
            seen.add(key)
        if self.path != "/v1/customers":
            return self.answer(404, {"error": {"message": "no such route"}})
        if args.mode == "slow":
            time.sleep(5)
        if args.mode == "reject":
            return self.answer(402, {"error": {"message": "your card was declined"}})
        if args.mode == "fail-first" and first_time:
            return self.answer(500, {"error": {"message": "internal error"}})
        if args.mode == "not-json":
            return self.answer(200, None, raw=b"<html>gateway</html>")
        with lock:
            if key not in customers:
                customers[key] = "cus_fake%04d" % (len(customers) + 1)
            customer = customers[key]
        self.answer(200, {"id": customer, "object": "customer"})

    def answer(self, status, payload, raw=None):
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(args.port_file + ".tmp", "w") as handle:
    handle.write(str(server.server_address[1]))
import os
os.replace(args.port_file + ".tmp", args.port_file)
threading.Timer(args.lifetime, server.shutdown).start()
server.serve_forever()
