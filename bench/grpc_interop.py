#!/usr/bin/env python3
# Measures gRPC interop (docs/rpc.md, "gRPC interop") with `fixnet bench rpc`'s application processes,
# all in one run, rows interleaved over the rounds (the host is shared: compare ratios of one run):
#   grpc:          libgrpc++ client → libgrpc++ server (the baseline)
#   grpc_to_fixnet: libgrpc++ client → fixnetd --grpc-listen → fixnet Echo-stub server
#   fixnet_to_grpc: fixnet Echo-stub client → fixnetd --grpc-peer → libgrpc++ server
#   fixnet:        fixnet client → fixnetd A ─TCP─► fixnetd B → fixnet server (bench rpc's fixnet row)
# Per row: median round trip of 64 B requests (8 B replies), one call at a time; calls/s of 32 B
# requests with 64 in flight. Prints a table, or with --json one object.
#   bench/grpc_interop.py BUILD_DIR [--rounds N] [--seconds S] [--json]
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def start(args, log):
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)


def wait_line(proc, prefix):
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("%s exited before printing %r" % (proc.args, prefix))
        if line.startswith(prefix):
            return line.strip()


def wait_log(path, text):
    for _ in range(1000):
        if os.path.exists(path) and text in open(path).read():
            return open(path).read()
        time.sleep(0.01)
    raise RuntimeError("%s never logged %r" % (path, text))


class Row:
    def __init__(self, build, dir, key):
        self.build, self.dir, self.key, self.procs = build, dir, key, []

    def fixnetd(self, name, *extra):
        sock, log = os.path.join(self.dir, name + ".sock"), os.path.join(self.dir, name + ".log")
        args = [os.path.join(self.build, "fixnetd"), "--socket", sock, "--schema-cache", self.cache]
        if os.getuid() == 0:
            args += ["--user", "nobody", "--allow-uid", "0"]
        self.procs.append(start(args + list(extra), log))
        text = wait_log(log, "listening on ")
        return sock, text

    def app(self, fixnet, *args):
        exe = "fixnet-rpc-bench-fixnet-app" if fixnet else "fixnet-rpc-bench-app"
        p = start([os.path.join(self.build, exe)] + list(args), os.path.join(self.dir, "app%d.log" % len(self.procs)))
        self.procs.append(p)
        return p

    def stop(self):
        for p in reversed(self.procs):
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


def port_of(log_text, marker):
    return int(log_text[log_text.index(marker) + len(marker):].split(")")[0])


def start_row(build, cache, key):
    dir = tempfile.mkdtemp(prefix="fixnet-grpc-bench-")
    os.chmod(dir, 0o777)
    row = Row(build, dir, key)
    row.cache = cache
    if key == "grpc":
        server = row.app(False, "serve", "grpc")
        port = wait_line(server, "port ").split()[1]
        caller = row.app(False, "call", "grpc", port)
    elif key == "grpc_to_fixnet":
        sock, text = row.fixnetd("b", "--grpc-listen", "127.0.0.1:0")
        row.app(True, "serve", "fixnet", sock)
        wait_log(os.path.join(dir, "b.log"), "attached (serving)")
        caller = row.app(False, "call", "grpc", str(port_of(text, "(grpc port ")))
    elif key == "fixnet_to_grpc":
        server = row.app(False, "serve", "grpc")
        port = wait_line(server, "port ").split()[1]
        sock, _ = row.fixnetd("a", "--grpc-peer", "127.0.0.1:" + port)
        caller = row.app(True, "call", "fixnet", sock)
    else:
        sock_b, text = row.fixnetd("b", "--listen", "127.0.0.1:0")
        row.app(True, "serve", "fixnet", sock_b)
        wait_log(os.path.join(dir, "b.log"), "attached (serving)")
        sock_a, _ = row.fixnetd("a", "--peer", "127.0.0.1:%d" % port_of(text, "(tcp port "))
        caller = row.app(True, "call", "fixnet", sock_a)
    wait_line(caller, "ready")
    row.caller = caller
    return row


def command(row, line, prefix):
    row.caller.stdin.write(line + "\n")
    row.caller.stdin.flush()
    return wait_line(row.caller, prefix).split()


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print("usage: bench/grpc_interop.py BUILD_DIR [--rounds N] [--seconds S] [--json]", file=sys.stderr)
        return 2
    build = os.path.abspath(args[0])
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
    seconds = float(args[args.index("--seconds") + 1]) if "--seconds" in args else 1.0
    cache = tempfile.mkdtemp(prefix="fixnet-grpc-bench-cache-")
    subprocess.run([os.path.join(build, "fixnet"), "rpc", "register",
                    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples/rpc/echo.proto"),
                    "--schema-cache", cache], check=True, stdout=subprocess.DEVNULL)
    keys = ["grpc", "grpc_to_fixnet", "fixnet_to_grpc", "fixnet"]
    medians = {k: [] for k in keys}
    rates = {k: [] for k in keys}
    for _ in range(rounds):
        for key in keys:
            row = start_row(build, cache, key)
            try:
                ns = [int(x) for x in command(row, "latency 64 %g" % seconds, "latency")[2:]]
                medians[key].append(statistics.median(ns) / 1000)
                _, calls, secs = command(row, "rate 32 64 %g" % seconds, "rate")
                rates[key].append(int(calls) / float(secs))
            finally:
                row.stop()
    result = {k: {"median_us": statistics.median(medians[k]), "rate_per_s": statistics.median(rates[k])} for k in keys}
    if "--json" in args:
        print(json.dumps({"bench": "grpc-interop", "rounds": rounds, "seconds": seconds, "rows": result,
                          "load": os.getloadavg()[0]}))
    else:
        print("%-16s %12s %12s" % ("row", "median us", "calls/s"))
        for k in keys:
            print("%-16s %12.1f %12.0f" % (k, result[k]["median_us"], result[k]["rate_per_s"]))
        print("(medians over %d rounds of %g s each; load average %.2f)" % (rounds, seconds, os.getloadavg()[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
