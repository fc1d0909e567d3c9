#!/usr/bin/env python3
"""A hostile stand-in runtime for tests/hostile: usage standin.py MODE PORT.

It speaks just enough HTTP/1.1 (one request per connection, `Connection: close`) to be
driven by `parity run`: GET /health answers 200 {"status":"healthy"}, every other path
answers 200 {"path": ..., "ok": true}, except GET /hostile, where MODE misbehaves:

  normal          /hostile is an ordinary answer (the reference side of every case)
  big-body        a 200 MB body, with its Content-Length, streamed as fast as it is read
  endless-body    headers, then one byte every 50 ms, forever (no length, no end)
  reset-mid-body  Content-Length 100000, 100 bytes, then a TCP reset (SO_LINGER 0)
  invalid-utf8    a JSON object whose string holds bytes that are not UTF-8
  deep-json       an array nested 100,000 levels deep
  ignore-sigterm  ordinary answers, but SIGTERM is ignored (only SIGKILL stops it)
  fork-exit       forks at start: the parent exits 0 at once, the child serves
  wrong-port      ordinary answers on PORT+1, so the health check never gets one
"""
import os
import signal
import socket
import socketserver
import struct
import sys
import time

MODE, PORT = sys.argv[1], int(sys.argv[2])


def send(conn, status, body, ctype="application/json", length=True):
    head = f"HTTP/1.1 {status} OK\r\nContent-Type: {ctype}\r\nConnection: close\r\n"
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    conn.sendall(head.encode() + b"\r\n" + body)


def hostile(conn):
    if MODE == "big-body":
        total = 200 << 20
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % total)
        chunk = b"[" + b"0," * ((1 << 20) // 2 - 1) + b"0"
        chunk = chunk[: 1 << 20]
        sent = 0
        while sent < total:
            conn.sendall(chunk)
            sent += len(chunk)
    elif MODE == "endless-body":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\n\r\n[")
        while True:
            time.sleep(0.05)
            conn.sendall(b" ")
    elif MODE == "reset-mid-body":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n" + b'{"a":"' + b"x" * 94)
        time.sleep(0.1)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    elif MODE == "invalid-utf8":
        send(conn, 200, b'{"path":"/hostile","ok":true,"text":"bad \xff\xfe \xc3\x28 \xed\xa0\x80 end"}')
    elif MODE == "deep-json":
        depth = 100000
        send(conn, 200, b"[" * depth + b"]" * depth)
    else:
        send(conn, 200, b'{"path":"/hostile","ok":true}')


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                got = conn.recv(65536)
                if not got:
                    return
                data += got
                if len(data) > 1 << 20:
                    return
            head, _, rest = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            while len(rest) < length:
                got = conn.recv(65536)
                if not got:
                    return
                rest += got
            path = path.split("?")[0]
            if path == "/health":
                send(conn, 200, b'{"status":"healthy"}')
            elif path == "/hostile":
                hostile(conn)
            else:
                send(conn, 200, b'{"path":"%s","ok":true}' % path.encode())
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    port = PORT
    if MODE == "ignore-sigterm":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    elif MODE == "fork-exit":
        if os.fork() > 0:
            os._exit(0)
    elif MODE == "wrong-port":
        port = PORT + 1
    with Server(("127.0.0.1", port), Handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    main()
