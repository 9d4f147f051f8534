"""Regeneration seen from outside (docs/catalogue.md, "Regeneration"): three Berth nodes run as
processes (zk_node_helper, a node on the host C API), a ZooKeeper client nobody here wrote (kazoo)
deletes Berth's whole root while they run, and then a leader publishes again above every version
seen before, every node serves it, and the assignment (every stream id and its owner, hashed into
the helpers' fingerprint) is what it was.

    regeneration_kazoo_test.py ZK_SERVER_PROGRAM NODE_HELPER_PROGRAM
"""
import os
import signal
import subprocess
import sys
import threading
import time

from kazoo.client import KazooClient

STREAMS = 200


class Node:
    def __init__(self, helper, connect, root, name):
        self.name = name
        self.proc = subprocess.Popen([helper, connect, root, name, "4s"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.state = None  # (version, epoch, is_leader, degraded, fingerprint)
        self.answers = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            words = line.split()
            with self.lock:
                if words and words[0] == "state":
                    self.state = tuple(int(w) for w in words[1:6])
                elif words:
                    self.answers.append(line.strip())

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def now(self):
        with self.lock:
            return self.state

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except Exception:
            self.proc.kill()


def eventually(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def converged(nodes):
    states = [n.now() for n in nodes]
    if any(s is None for s in states):
        return None
    if len({(s[0], s[4]) for s in states}) != 1 or sum(s[2] for s in states) != 1:
        return None
    return states[0]


def main():
    zk_program, helper = sys.argv[1], sys.argv[2]
    server = subprocess.Popen([zk_program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    connect = server.stdout.readline().strip()
    assert connect, "the ZooKeeper server did not start"
    root = "/berth-regeneration-kazoo-%d" % os.getpid()
    nodes = []
    kazoo = KazooClient(hosts=connect)
    try:
        nodes = [Node(helper, connect, root, "node-%d" % i) for i in range(3)]
        assert eventually(lambda: any(n.now() and n.now()[2] == 1 for n in nodes)), "no leader"
        leader = next(n for n in nodes if n.now() and n.now()[2] == 1)
        empty = leader.now()[4]
        nodes[1].send("add %d" % STREAMS)
        assert eventually(lambda: any("ok add" in a for a in nodes[1].answers)), "add was not answered"

        # Refreshed until the leader's version holds the streams (their records reached its intake).
        def refreshed_with_streams():
            with leader.lock:
                leader.answers.clear()
            leader.send("refresh")
            if not eventually(lambda: any(a.startswith("refreshed ") for a in leader.answers), 20.0):
                return False
            with leader.lock:
                answer = next(a for a in leader.answers if a.startswith("refreshed "))
            return int(answer.split()[2]) != empty
        assert eventually(refreshed_with_streams), "the leader never published the added streams"
        assert eventually(lambda: converged(nodes) is not None and converged(nodes)[0] >= 2), \
            "the nodes never agreed: %s" % [n.now() for n in nodes]
        # Settled: the same version for a second (a version that grants follows the first).
        def settled():
            first = converged(nodes)
            time.sleep(1.0)
            return first is not None and converged(nodes) == first
        assert eventually(settled), "the nodes never settled: %s" % [n.now() for n in nodes]
        before = converged(nodes)
        seen = max(n.now()[0] for n in nodes)
        print("before: version %d epoch %d fingerprint %d" % (before[0], before[1], before[4]))

        kazoo.start(timeout=10)
        # A recursive delete is not atomic (it lists, then deletes bottom-up), and running nodes
        # remake the layout between its steps, so a delete racing them loses to them over and over,
        # each try deleting part of what they remade. The nodes are held still (SIGSTOP, far inside
        # their 4 s sessions) for the one delete, which then takes the whole root at once; their
        # sessions, watches and leases live on. (regeneration_zk_test deletes under running engines.)
        for n in nodes:
            n.proc.send_signal(signal.SIGSTOP)
        try:
            kazoo.delete(root, recursive=True)
        finally:
            for n in nodes:
                n.proc.send_signal(signal.SIGCONT)
        print("deleted %s with kazoo" % root)

        def regenerated():
            s = converged(nodes)
            return s is not None and s[0] > seen
        assert eventually(regenerated, 90.0), "no leader published above version %d: %s" % (
            seen, [n.now() for n in nodes])
        after = converged(nodes)
        print("after: version %d epoch %d fingerprint %d" % (after[0], after[1], after[4]))
        assert after[4] == before[4], "the assignment changed: fingerprint %d, was %d" % (after[4], before[4])
        assert after[1] >= before[1], "the epoch went backwards: %d, was %d" % (after[1], before[1])
        assert eventually(lambda: kazoo.exists(root + "/snapshots/latest") is not None)
        data, _ = kazoo.get(root + "/snapshots/latest")
        pointed = int(data.decode().split()[2])
        assert pointed >= after[0], "%s/snapshots/latest names version %d" % (root, pointed)
        print("ok: regenerated from version %d to %d" % (seen, after[0]))
    finally:
        for n in nodes:
            n.close()
        try:
            kazoo.stop()
        except Exception:
            pass
        server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
