#!/usr/bin/env python3
"""Crash test: acknowledged means durable, and the log is never inconsistent.

Runs `creditbank serve` on a fresh data directory, loads it with batches of records over a few
keep-alive connections and kills it with SIGKILL at a random moment, ROUNDS times. After each
restart it checks:

  1. the server opens the store and becomes ready;
  2. every acknowledged record reads back (GET /v1/records/{id}) with the same leaf_index and
     content (all records acknowledged in the last round, a sample of older ones);
  3. re-posting every batch that got no answer creates no duplicates: each record comes back
     "existing" (with the leaf it already had) or "created";
  4. the whole log (GET /v1/log/entries, as auditor): every leaf holds one record entry whose
     leaf hash matches its bytes, external_refs are unique, every posted external_ref is in
     the log (after the re-posts), the number of leaves equals the number of distinct
     external_refs, every acknowledged leaf_index holds its record, and the Merkle root of the
     leaves equals the signed checkpoint's root;
  5. the log only grew: its size is at least the largest acknowledged checkpoint; for every
     checkpoint ever seen (acknowledged or read) a consistency proof to the new checkpoint
     verifies (RFC 9162, checked here), no two checkpoints of one size differ, and
     `creditbank audit --from <largest acknowledged checkpoint> --key <pinned key>` (signatures
     and proof, by the bank's own verifier) exits 0.

Exits 1 with a message naming the violation (the data directory and server logs are kept), 0
with a summary otherwise. Python 3 standard library only.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

INSTITUTION = "crashu"
UNIT = "crashu:C1"
LEARNERS = 5
COMPLETED_ON = "2024-06-30"


class Violation(Exception):
    """A durability or consistency property does not hold."""


# ---- RFC 6962 / RFC 9162 Merkle tree --------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves):
    """Root of the RFC 6962 tree over leaf hashes (iterative, O(n))."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    # Combining pairs level by level and carrying an odd last node up gives the RFC 6962
    # split at the largest power of two.
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 section 2.1.4.2; from size 0 the empty proof is valid (C2SP witness rule)."""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if first & (first - 1) == 0:  # exact power of two
        proof = [first_root] + list(proof)
    if not proof:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def parse_checkpoint(note: str):
    """(origin, size, root bytes) of a signed checkpoint note."""
    end = note.find("\n\n")
    if end < 0:
        raise Violation("checkpoint has no signature block: %r" % note[:200])
    lines = note[: end + 1].split("\n")
    if len(lines) < 4:
        raise Violation("checkpoint body is too short: %r" % note[:200])
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise Violation("checkpoint root is not 32 bytes: %r" % lines[2])
    return lines[0], int(lines[1]), root


# ---- HTTP -----------------------------------------------------------------------------------


class Client:
    """One keep-alive connection; reconnects after an error."""

    def __init__(self, port, token=None, timeout=30.0):
        self.port = port
        self.token = token
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, token=None):
        """(status, parsed JSON or text). Raises OSError / http.client errors on I/O failure."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = {}
        tok = token or self.token
        if tok:
            headers["Authorization"] = "Bearer " + tok
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            raw = resp.read()
        except Exception:
            self.close()
            raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        ctype = resp.getheader("Content-Type", "")
        if "json" in ctype:
            return resp.status, json.loads(raw)
        return resp.status, raw.decode("utf-8", "replace")

    def must(self, method, path, body=None, token=None, expect=(200, 201)):
        status, doc = self.request(method, path, body, token)
        if status not in expect:
            raise Violation("%s %s answered %d: %s" % (method, path, status, str(doc)[:500]))
        return doc


# ---- the test -------------------------------------------------------------------------------


class CrashTest:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.data = args.data
        self.server = None
        self.port = None
        self.round = 0
        self.admin = self.inst_token = self.auditor = None
        self.learners = []
        self.vkey = None
        self.lock = threading.Lock()
        self.batch_seq = 0
        self.posted_refs = {}  # external_ref -> learner (every ref ever sent)
        self.acked = {}  # external_ref -> (record id, leaf_index)
        self.acked_this_round = []  # refs acknowledged since the last restart
        self.unacked = []  # batches (lists of records) sent without a complete answer
        self.checkpoints = {}  # size -> note (every checkpoint seen)
        self.max_acked_size = 0
        self.max_acked_note = None
        self.failure = None
        self.stats = dict(batches_acked=0, batches_unacked=0, reposted=0, repost_existing=0,
                          repost_created=0, reads=0, proofs=0, audits=0, errors_during_load=0)

    # -- server lifecycle --

    def start(self):
        port_file = os.path.join(self.data, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        log = open(os.path.join(self.data, "server-%02d.log" % self.round), "wb")
        cmd = [self.args.bin, "serve", "--data", os.path.join(self.data, "store"),
               "--listen", "127.0.0.1:0", "--port-file", port_file, "--log-level", "warn",
               # the checks re-read every acknowledged record as fast as they can
               "--rate-limit-rps", "0"] + (self.args.serve_arg or [])
        self.server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + self.args.start_timeout
        while time.time() < deadline:
            if self.server.poll() is not None:
                raise Violation("server exited with %d on start (round %d); see %s" %
                                (self.server.returncode, self.round,
                                 os.path.join(self.data, "server-%02d.log" % self.round)))
            if os.path.exists(port_file):
                text = open(port_file).read().strip()
                if text.isdigit():
                    self.port = int(text)
                    try:
                        status, _ = Client(self.port, timeout=2).request("GET", "/readyz")
                        if status == 200:
                            return
                    except (OSError, http.client.HTTPException):
                        pass
            time.sleep(0.02)
        raise Violation("server not ready within %.0f s (round %d)" %
                        (self.args.start_timeout, self.round))

    def kill(self):
        if self.server is None:
            return
        if self.server.poll() is not None:
            raise Violation("server died on its own with %d during round %d" %
                            (self.server.returncode, self.round))
        self.server.send_signal(signal.SIGKILL)
        self.server.wait()
        self.server = None

    def stop(self):
        """Graceful stop (SIGTERM) at the end: must exit 0."""
        self.server.send_signal(signal.SIGTERM)
        try:
            rc = self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            raise Violation("server did not stop within 30 s of SIGTERM")
        self.server = None
        if rc != 0:
            raise Violation("server exited with %d after SIGTERM" % rc)

    # -- bootstrap --

    def bootstrap(self):
        token_file = os.path.join(self.data, "store", "admin.token")
        self.admin = open(token_file).read().strip()
        c = Client(self.port, self.admin)
        c.must("PUT", "/v1/institutions/" + INSTITUTION,
               {"name": "Crash Test University", "kind": "university"})
        c.must("PUT", "/v1/units/" + UNIT,
               {"title": "Durability 101", "kind": "degree_course", "credits": 2, "level": 6,
                "field": "0613"})
        self.inst_token = c.must("POST", "/v1/tokens",
                                 {"role": "institution:" + INSTITUTION})["token"]
        self.auditor = c.must("POST", "/v1/tokens", {"role": "auditor"})["token"]
        for i in range(LEARNERS):
            doc = c.must("POST", "/v1/learners", {"display_name": "learner %d" % i},
                         token=self.inst_token)
            self.learners.append(doc["id"])
        self.vkey = c.must("GET", "/v1/log/key")["verifier_key"]
        c.close()

    # -- load --

    def make_batch(self, worker):
        with self.lock:
            self.batch_seq += 1
            seq = self.batch_seq
        batch = []
        for i in range(self.args.batch):
            ref = "crash/%d/%d/%d" % (self.round, seq, i)
            learner = self.learners[(seq + i) % len(self.learners)]
            batch.append({"learner": learner, "unit": UNIT, "external_ref": ref,
                          "grade": {"scale": "percent", "value": str(60 + (seq + i) % 41)},
                          "completed_on": COMPLETED_ON})
        with self.lock:
            for r in batch:
                self.posted_refs[r["external_ref"]] = r["learner"]
        return batch

    def note_checkpoint(self, note):
        _, size, root = parse_checkpoint(note)
        with self.lock:
            old = self.checkpoints.get(size)
            if old is not None and parse_checkpoint(old)[2] != root:
                raise Violation("two checkpoints of size %d with different roots:\n%s\n%s" %
                                (size, old, note))
            self.checkpoints.setdefault(size, note)
        return size

    def record_answer(self, batch, doc, reposted):
        """Checks one 200/201 answer to a batch and records its receipts as acknowledged."""
        recs = doc.get("records")
        if not isinstance(recs, list) or len(recs) != len(batch):
            raise Violation("batch answer has %s records for %d posted" %
                            (len(recs) if isinstance(recs, list) else "no", len(batch)))
        note = recs[0]["receipt"]["checkpoint"]
        size = self.note_checkpoint(note)
        with self.lock:
            for posted, got in zip(batch, recs):
                ref = posted["external_ref"]
                leaf = got["leaf_index"]
                if got["receipt"]["leaf_index"] != leaf or leaf >= size:
                    raise Violation("receipt for %s: leaf %s, checkpoint size %d" %
                                    (ref, leaf, size))
                if got["status"] not in ("created", "existing"):
                    raise Violation("record %s has status %r" % (ref, got["status"]))
                if not reposted and got["status"] != "created":
                    raise Violation("first post of %s answered %r" % (ref, got["status"]))
                prev = self.acked.get(ref)
                if prev is not None:
                    if prev != (got["id"], leaf):
                        raise Violation("%s was acknowledged as %s, now %s" %
                                        (ref, prev, (got["id"], leaf)))
                    if got["status"] != "existing":
                        raise Violation("%s acknowledged before, re-post created it again" % ref)
                if reposted:
                    self.stats["reposted"] += 1
                    self.stats["repost_" + got["status"]] += 1
                self.acked[ref] = (got["id"], leaf)
                self.acked_this_round.append(ref)
            if size > self.max_acked_size:
                self.max_acked_size = size
                self.max_acked_note = note

    def worker(self, stop, worker_id):
        client = Client(self.port, self.inst_token, timeout=10)
        while not stop.is_set():
            batch = self.make_batch(worker_id)
            try:
                status, doc = client.request("POST", "/v1/records", {"records": batch})
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.unacked.append(batch)
                    self.stats["batches_unacked"] += 1
                client.close()
                if stop.is_set():
                    return
                time.sleep(0.01)
                continue
            if status in (200, 201):
                try:
                    self.record_answer(batch, doc, reposted=False)
                except Violation as v:
                    self.failure = v
                    stop.set()
                    return
                with self.lock:
                    self.stats["batches_acked"] += 1
            else:
                # An answer that is not a success acknowledges nothing: retry after restart.
                with self.lock:
                    self.unacked.append(batch)
                    self.stats["batches_unacked"] += 1
                    self.stats["errors_during_load"] += 1
                    if status not in (429, 503):
                        self.failure = Violation("valid batch refused with %d: %s" %
                                                 (status, str(doc)[:300]))
                        stop.set()
                        return
        client.close()

    def load_and_kill(self):
        self.failure = None
        stop = threading.Event()
        threads = [threading.Thread(target=self.worker, args=(stop, i), daemon=True)
                   for i in range(self.args.connections)]
        for t in threads:
            t.start()
        delay = self.rng.uniform(self.args.min_delay_ms, self.args.max_delay_ms) / 1000.0
        time.sleep(delay)
        self.kill()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        if self.failure:
            raise self.failure
        return delay

    # -- verification after a restart --

    def check_reads(self):
        """GET every record acknowledged since the last restart and a sample of older ones, over
        the load's number of connections."""
        recent = list(dict.fromkeys(self.acked_this_round))
        recent_set = set(recent)
        older = [r for r in self.acked if r not in recent_set]
        refs = recent + self.rng.sample(older, min(len(older), self.args.sample_older))
        errors = []

        def read(part):
            c = Client(self.port, self.inst_token)
            try:
                for ref in part:
                    self.check_read(c, ref)
            except Exception as e:  # reported by the caller
                errors.append(e)
            finally:
                c.close()

        n = self.args.connections
        threads = [threading.Thread(target=read, args=(refs[i::n],)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        self.stats["reads"] += len(refs)
        return len(refs)

    def check_read(self, c, ref):
        rid, leaf = self.acked[ref]
        status, doc = c.request("GET", "/v1/records/" + rid)
        if status != 200:
            raise Violation("acknowledged record %s (%s, leaf %d) is gone after the crash: "
                            "%d %s" % (rid, ref, leaf, status, str(doc)[:300]))
        rec = doc["record"]
        if (doc["receipt"]["leaf_index"] != leaf or rec.get("external_ref") != ref or
                rec.get("learner") != self.posted_refs[ref] or doc["status"] != "active"):
            raise Violation("record %s read back differently: leaf %s (acknowledged %d), "
                            "ref %s, status %s" % (rid, doc["receipt"]["leaf_index"], leaf,
                                                   rec.get("external_ref"), doc["status"]))

    def repost_unacked(self, c):
        batches, self.unacked = self.unacked, []
        for batch in batches:
            status, doc = c.request("POST", "/v1/records", {"records": batch},
                                    token=self.inst_token)
            if status not in (200, 201):
                raise Violation("re-posting an unacknowledged batch answered %d: %s" %
                                (status, str(doc)[:300]))
            self.record_answer(batch, doc, reposted=True)
        return len(batches)

    def check_log(self, c, size, root):
        """Reads every leaf and checks the log against what was posted and acknowledged."""
        hashes, by_ref = [], {}
        start = 0
        while start < size:
            end = min(size, start + 1000)
            doc = c.must("GET", "/v1/log/entries?start=%d&end=%d" % (start, end),
                         token=self.auditor)
            entries = doc["entries"]
            if len(entries) != end - start:
                raise Violation("log entries [%d, %d) returned %d" % (start, end, len(entries)))
            for e in entries:
                idx = e["index"]
                if idx != len(hashes):
                    raise Violation("log entry index %s out of order (expected %d)" %
                                    (idx, len(hashes)))
                raw = base64.b64decode(e["entry"])
                h = leaf_hash(raw)
                if h.hex() != e["leaf_hash"]:
                    raise Violation("leaf %d: stored hash does not match its bytes" % idx)
                entry = json.loads(raw)
                if entry.get("type") != "record":
                    raise Violation("leaf %d is a %r entry, only records were posted" %
                                    (idx, entry.get("type")))
                ref = entry.get("external_ref")
                if ref in by_ref:
                    raise Violation("external_ref %s is in the log twice: leaves %d and %d" %
                                    (ref, by_ref[ref], idx))
                if ref not in self.posted_refs:
                    raise Violation("leaf %d holds %s, which was never posted" % (idx, ref))
                by_ref[ref] = idx
                hashes.append(h)
            start = end
        missing = [r for r in self.posted_refs if r not in by_ref]
        if missing:
            raise Violation("%d posted records are not in the log after re-posting, e.g. %s" %
                            (len(missing), missing[:3]))
        if len(set(by_ref.values())) != len(by_ref) or len(by_ref) != size:
            raise Violation("%d leaves for %d distinct external_refs" % (size, len(by_ref)))
        for ref, (rid, leaf) in self.acked.items():
            if by_ref.get(ref) != leaf:
                raise Violation("%s acknowledged at leaf %d, the log has it at %s" %
                                (ref, leaf, by_ref.get(ref)))
        if merkle_root(hashes) != root:
            raise Violation("the Merkle root of the %d stored leaves is not the signed root" % size)

    def check_consistency(self, c, new_note):
        _, new_size, new_root = parse_checkpoint(new_note)
        if new_size < self.max_acked_size:
            raise Violation("log shrank: acknowledged checkpoint of size %d, now %d" %
                            (self.max_acked_size, new_size))
        with self.lock:
            seen = sorted(self.checkpoints.items())
        for size, note in seen:
            _, _, root = parse_checkpoint(note)
            doc = c.must("GET", "/v1/log/proof/consistency?first=%d&second=%d" % (size, new_size))
            proof = [bytes.fromhex(h) for h in doc["proof"]]
            if not verify_consistency(size, new_size, root, new_root, proof):
                raise Violation("consistency proof from the checkpoint of size %d to %d does "
                                "not verify:\n%s" % (size, new_size, note))
            self.stats["proofs"] += 1
        if self.max_acked_note is None:
            return
        cp_file = os.path.join(self.data, "acked_checkpoint.txt")
        save_file = os.path.join(self.data, "audited_checkpoint.txt")
        with open(cp_file, "w") as f:
            f.write(self.max_acked_note)
        r = subprocess.run([self.args.bin, "audit", "--server", "http://127.0.0.1:%d" % self.port,
                            "--from", cp_file, "--key", self.vkey, "--save", save_file],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise Violation("creditbank audit from the acknowledged checkpoint of size %d "
                            "failed (%d): %s %s" % (self.max_acked_size, r.returncode,
                                                    r.stdout.strip(), r.stderr.strip()))
        self.stats["audits"] += 1

    def verify(self):
        reads = self.check_reads()
        c = Client(self.port, self.inst_token)
        reposted = self.repost_unacked(c)
        new_note = c.must("GET", "/v1/log/checkpoint")
        self.note_checkpoint(new_note)
        _, size, root = parse_checkpoint(new_note)
        self.check_log(c, size, root)
        self.check_consistency(c, new_note)
        c.close()
        self.acked_this_round = []
        return reads, reposted, size

    # -- main loop --

    def run(self):
        t0 = time.time()
        os.makedirs(os.path.join(self.data, "store"), exist_ok=True)
        # Run a private copy: the binary under test must not change (or vanish while a shared
        # build relinks it) between restarts.
        copy = os.path.join(self.data, "creditbank")
        shutil.copy2(self.args.bin, copy)
        self.args.bin = copy
        self.start()
        self.bootstrap()
        for self.round in range(1, self.args.rounds + 1):
            delay = self.load_and_kill()
            self.start()
            if self.round == self.args.rounds:
                self.args.sample_older = len(self.acked)  # the last round reads back everything
            reads, reposted, size = self.verify()
            print("round %2d: killed after %4.0f ms; %6d acknowledged, %3d batches re-posted, "
                  "%5d reads checked, log size %d" % (self.round, delay * 1000, len(self.acked),
                                                      reposted, reads, size), flush=True)
        self.stop()  # the restarted server also shuts down cleanly
        leaves = [leaf for _, leaf in self.acked.values()]
        print("crash test OK: %d rounds, %d acknowledged records (%d batches acknowledged, %d "
              "unanswered and re-posted: %d existing, %d created), max leaf %d, log size %d, "
              "%d checkpoints seen, %d consistency proofs and %d audits verified, %d reads, "
              "%.1f s" % (self.args.rounds, len(self.acked), self.stats["batches_acked"],
                          self.stats["batches_unacked"], self.stats["repost_existing"],
                          self.stats["repost_created"], max(leaves) if leaves else -1, size,
                          len(self.checkpoints), self.stats["proofs"], self.stats["audits"],
                          self.stats["reads"], time.time() - t0), flush=True)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", default=os.environ.get("CREDITBANK_BIN",
                                                   os.path.join(root, "build/cli/creditbank")))
    p.add_argument("--rounds", type=int, default=int(os.environ.get("CRASH_ROUNDS", "20")))
    p.add_argument("--min-delay-ms", type=float,
                   default=float(os.environ.get("CRASH_MIN_DELAY_MS", "50")))
    p.add_argument("--max-delay-ms", type=float,
                   default=float(os.environ.get("CRASH_MAX_DELAY_MS", "800")))
    p.add_argument("--batch", type=int, default=50, help="records per batch")
    p.add_argument("--connections", type=int, default=4, help="keep-alive connections")
    p.add_argument("--sample-older", type=int, default=200,
                   help="older acknowledged records read back each round")
    p.add_argument("--start-timeout", type=float, default=60)
    p.add_argument("--seed", type=int, default=int(os.environ.get("CRASH_SEED", "0")) or None)
    p.add_argument("--data", help="data directory (default: a temp dir, removed on success)")
    p.add_argument("--keep", action="store_true", help="keep the data directory")
    p.add_argument("--serve-arg", action="append", metavar="ARG",
                   help="one more argument for `creditbank serve` (repeat; e.g. "
                        "--serve-arg=--storage --serve-arg=postgres: crash_test.sh's "
                        "CRASH_STORAGE=postgres)")
    args = p.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1, 1 << 31)
    if not os.access(args.bin, os.X_OK):
        print("crash test: %s is not an executable (build the creditbank target or set "
              "CREDITBANK_BIN)" % args.bin, file=sys.stderr)
        return 2
    temp = args.data is None
    if temp:
        args.data = tempfile.mkdtemp(prefix="creditbank-crash-")
    print("crash test: %d rounds, kill after %.0f-%.0f ms, seed %d, data %s%s" %
          (args.rounds, args.min_delay_ms, args.max_delay_ms, args.seed, args.data,
           (", serve " + " ".join(args.serve_arg)) if args.serve_arg else ""), flush=True)
    test = CrashTest(args)
    try:
        test.run()
    except Violation as v:
        print("CRASH TEST FAILED (round %d, seed %d): %s\n  data and server logs kept in %s" %
              (test.round, args.seed, v, args.data), file=sys.stderr)
        return 1
    except Exception as e:  # an unexpected answer shape or I/O error is a failure too
        print("CRASH TEST FAILED (round %d, seed %d): %s: %s\n  data and server logs kept in %s" %
              (test.round, args.seed, type(e).__name__, e, args.data), file=sys.stderr)
        return 1
    finally:
        if test.server is not None:
            test.server.kill()
            test.server.wait()
    if temp and not args.keep:
        shutil.rmtree(args.data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
