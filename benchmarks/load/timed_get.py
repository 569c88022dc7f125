#!/usr/bin/env python3
"""GET one path over N keep-alive connections for S seconds, one request at a time on each,
and time every request on the client's own clock. Prints one line:
  TIMED requests=.. p50_ms=.. p99_ms=.. p999_ms=.. max_ms=.. mean_ms=.. busy_s=..
busy_s (the sum of the latencies) can never exceed N x S: a check that the figures add up.
(wrk's latency histogram failed that check in benchmarks/load/stats.sh while another wrk
posted records: a mean x count 3-12x the time its connections had.)
Usage: timed_get.py BASE_URL TOKEN PATH CONNECTIONS SECONDS"""
import http.client
import sys
import threading
import time
import urllib.parse

base, token, path = sys.argv[1], sys.argv[2], sys.argv[3]
conns, secs = int(sys.argv[4]), float(sys.argv[5])
url = urllib.parse.urlparse(base)
latencies = []
errors = []
lock = threading.Lock()


def run():
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    mine, bad = [], 0
    end = time.perf_counter() + secs
    while True:
        start = time.perf_counter()
        if start > end:
            break
        try:
            c.request("GET", path, headers={"Authorization": "Bearer " + token})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                bad += 1
        except (OSError, http.client.HTTPException):
            bad += 1  # counted, timed, and the connection opened again
            c.close()
            c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        mine.append(time.perf_counter() - start)
    with lock:
        latencies.extend(mine)
        errors.append(bad)


threads = [threading.Thread(target=run) for _ in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
latencies.sort()
n = len(latencies)
if n == 0:
    sys.exit("no request completed")
ms = lambda q: 1000 * latencies[min(n - 1, int(n * q))]
print("TIMED requests=%d errors=%d p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f busy_s=%.1f"
      % (n, sum(errors), ms(0.5), ms(0.99), ms(0.999), 1000 * latencies[-1],
         1000 * sum(latencies) / n, sum(latencies)))
