"""Gateway and PostgreSQL CPU per lifecycle step, for bench/lifecycle-steps.sh (which starts the gateway and says how to
run this).

Every step is taken by all buyers together, a fixed number at once, and then the gateway is left to settle (its CPU
quiet, its outbox empty), so what a step set off after its answer (a notice, a funding, a delivery, a release) is
counted with it. The figures are the gateway process's CPU over the step and that of its PostgreSQL (the postmaster,
its children, and the children it reaped meanwhile), each divided by the calls. Round 1 carries the JIT's warm-up; the
summary is over the later rounds.

With STREAMS=1 in the environment every buyer also follows its order over the event stream, as the flash sale's
buyers do: opened once its payment is created (the step "stream opened", which costs the first view), drained in
the background, closed after the round's last step. Each later step's figure then includes the views its changes
pushed; set beside a run without streams, the difference is what following costs.

Usage: lifecycle_steps.py PORT GATEWAY_PID ADMIN_TOKEN BUYERS ROUNDS CONCURRENCY POSTMASTER_PID
"""
import collections
import http.client
import json
import os
import selectors
import socket
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

PORT, PID, TOKEN = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
BUYERS, ROUNDS, CONCURRENCY = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
POSTMASTER = int(sys.argv[7])
HZ = os.sysconf('SC_CLK_TCK')
CALL_TIMEOUT_S = 60
# Settled: at most this many CPU ticks over a probe, twice in a row (the gateway's own timers tick meanwhile).
QUIET_TICKS_MAX = 3
QUIET_PROBE_S = 0.5
SETTLE_PROBES_MAX = 240
KEYS_PER_UPLOAD = 1000
PRICE_MINOR = 1000
CURRENCY = 'CNY'
STREAMS = os.environ.get('STREAMS', '0') == '1'
STREAM_READ_BYTES = 65536
STREAM_POLL_S = 0.1

connections = threading.local()
# Answers other than 2xx by status and problem code, so that a step with failed calls says what they were.
unanswered = collections.Counter()
unanswered_lock = threading.Lock()


def call(method, path, bearer=None, body=None):
    """One call over this thread's keep-alive connection; answers (status, parsed JSON or None)."""
    connection = getattr(connections, 'value', None)
    if connection is None:
        connection = connections.value = http.client.HTTPConnection('127.0.0.1', PORT, timeout=CALL_TIMEOUT_S)
    headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
    if bearer:
        headers['Authorization'] = 'Bearer ' + bearer
    if method == 'POST':
        headers['Idempotency-Key'] = str(uuid.uuid4())
    connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = connection.getresponse()
    data = response.read()
    answer = json.loads(data) if data else None
    if response.status >= 300:
        code = answer.get('code') if isinstance(answer, dict) else None
        with unanswered_lock:
            unanswered[(response.status, code)] += 1
    return response.status, answer


def stat_fields(pid):
    # After the command's closing parenthesis: state, ppid, ..., utime (11), stime (12), cutime (13), cstime (14).
    return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()


def gateway_ticks():
    fields = stat_fields(PID)
    return int(fields[11]) + int(fields[12])


def postgres_ticks():
    """The postmaster's CPU with that of the backends it reaped, and its live children's own."""
    fields = stat_fields(POSTMASTER)
    total = sum(int(value) for value in fields[11:15])
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            child = stat_fields(entry)
        except OSError:
            continue  # gone meanwhile: its time is in the postmaster's reaped children now
        if int(child[1]) == POSTMASTER:
            total += int(child[11]) + int(child[12])
    return total


def outbox_pending():
    connection = http.client.HTTPConnection('127.0.0.1', PORT, timeout=CALL_TIMEOUT_S)
    connection.request('GET', '/metrics', headers={'Authorization': 'Bearer ' + TOKEN})
    text = connection.getresponse().read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith('keyhold_outbox_pending'))


class Streams:
    """The buyers' open event streams, drained by one background thread so the gateway never waits on a full socket."""

    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.sockets = []
        self.thread = threading.Thread(target=self.drain, daemon=True)
        self.thread.start()

    def open(self, order):
        """Opens the order's stream and waits for its answer's head; answers the order, or None when refused."""
        stream = socket.create_connection(('127.0.0.1', PORT), timeout=CALL_TIMEOUT_S)
        stream.sendall((f'GET /v1/buyer/orders/{order[0]}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                        f'Authorization: Bearer {order[1]}\r\nAccept: text/event-stream\r\n\r\n').encode())
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = stream.recv(STREAM_READ_BYTES)
            if not chunk:
                break
            head += chunk
        if not head.startswith(b'HTTP/1.1 200'):
            stream.close()
            status = head.split(b' ', 2)[1] if head.count(b' ') >= 2 else b''
            with unanswered_lock:
                unanswered[(int(status) if status.isdigit() else 0, None)] += 1
            return None
        stream.setblocking(False)
        with self.lock:
            self.sockets.append(stream)
            self.selector.register(stream, selectors.EVENT_READ)
        return order

    def drain(self):
        # The selector is not locked: registering while it waits is safe, and a stream closed meanwhile is skipped.
        while True:  # a daemon thread: it ends with the bench
            for key, _ in self.selector.select(STREAM_POLL_S):
                try:
                    key.fileobj.recv(STREAM_READ_BYTES)
                except OSError:
                    pass

    def close_all(self):
        with self.lock:
            for stream in self.sockets:
                self.selector.unregister(stream)
                stream.close()
            self.sockets = []


def settle():
    quiet = 0
    for _ in range(SETTLE_PROBES_MAX):
        before = gateway_ticks()
        time.sleep(QUIET_PROBE_S)
        quiet = quiet + 1 if gateway_ticks() - before <= QUIET_TICKS_MAX else 0
        if quiet >= 2 and outbox_pending() == 0:
            return
    raise SystemExit('the gateway did not settle')


def take(pool, step, work, items):
    """All items take the step; answers what each gave (None: failed), the gateway's and PostgreSQL's CPU-ms per call."""
    before, postgres_before = gateway_ticks(), postgres_ticks()
    with unanswered_lock:
        unanswered_before = collections.Counter(unanswered)
    results = list(pool.map(work, items))
    settle()
    failed = sum(1 for result in results if result is None)
    if failed:
        with unanswered_lock:
            answers = ', '.join(f'{count} x {status} {code}' for (status, code), count
                                in (unanswered - unanswered_before).most_common())
        raise SystemExit(f'{step}: {failed} of {len(items)} calls failed; answered: {answers or "none other than 2xx"}')
    per_call = 1000 / HZ / len(items)
    return results, (gateway_ticks() - before) * per_call, (postgres_ticks() - postgres_before) * per_call


def main():
    status, merchant = call('POST', '/admin/v1/merchants', TOKEN, {'name': 'Lifecycle Steps', 'fee_basis_points': 250})
    assert status == 201, (status, merchant)
    api_key = merchant['api_key']
    status, sku = call('POST', '/v1/skus', api_key, {'name': 'Card', 'price': PRICE_MINOR, 'currency': CURRENCY})
    assert status == 201, (status, sku)
    sku_id = sku['id']
    for _ in range(0, BUYERS * ROUNDS, KEYS_PER_UPLOAD):
        keys = ['STEP-' + uuid.uuid4().hex for _ in range(KEYS_PER_UPLOAD)]
        status, answer = call('POST', f'/v1/skus/{sku_id}/stock', api_key, {'keys': keys})
        assert status == 201, (status, answer)
    settle()

    def checkout(_):
        status, answer = call('POST', '/v1/checkout-sessions', api_key, {'sku_id': sku_id, 'quantity': 1})
        return (answer['order_id'], answer['order_url'].split('t=')[1]) if status == 201 else None

    def create_payment(order):
        status, answer = call('POST', '/v1/sandbox/payments', None, {
            'order_id': order[0], 'order_token': order[1], 'amount': {'amount': PRICE_MINOR, 'currency': CURRENCY}})
        return (order, answer['payment_id']) if status == 201 else None

    def confirm_payment(payment):
        status, _ = call('POST', f'/v1/sandbox/payments/{payment[1]}/confirm', None, {})
        return payment[0] if status == 200 else None

    streams = Streams() if STREAMS else None

    def follow(payment):
        return payment if streams.open(payment[0]) is not None else None

    def read(order):
        status, answer = call('GET', f'/v1/buyer/orders/{order[0]}', order[1])
        return order if status == 200 and answer['state'] == 'ready' else None

    def reveal(order):
        status, _ = call('POST', f'/v1/buyer/orders/{order[0]}/reveal', order[1], {})
        return order if status == 200 else None

    def confirm(order):
        status, _ = call('POST', f'/v1/buyer/orders/{order[0]}/confirm', order[1], {})
        return order if status == 200 else None

    # Each step in a lifecycle's order: its name, what one buyer does, and what its figure covers.
    steps = (
        ('checkout', checkout, 'the shop places the order, a key reserved'),
        ('payment created', create_payment, 'the buyer starts a sandbox payment'),
    ) + ((('stream opened', follow, "the buyer follows the order: its event stream and first view"),) if STREAMS else ()) + (
        ('payment confirmed', confirm_payment,
         "the buyer pays: the sandbox's signed notice, funding, the key delivered and checked"),
        ('order read', read, 'the buyer reads the order'),
        ('key revealed', reveal, 'the buyer reveals the key'),
        ('order confirmed', confirm, 'the buyer confirms: released, the shop paid'),
    )
    figures = {step: [] for step, _, _ in steps}
    postgres = {step: [] for step, _, _ in steps}
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for round_number in range(1, ROUNDS + 1):
            items = range(BUYERS)
            for step, work, _ in steps:
                items, cpu_ms, postgres_ms = take(pool, step, work, items)
                figures[step].append(cpu_ms)
                postgres[step].append(postgres_ms)
            if streams:
                streams.close_all()
                settle()
            print(f'round {round_number}: ' + ', '.join(f'{step} {figures[step][-1]:.3f}/{postgres[step][-1]:.3f}'
                                                        for step, _, _ in steps), flush=True)

    warmed = slice(1, None) if ROUNDS > 1 else slice(0, None)
    print(f'\nCPU-ms per call (gateway / PostgreSQL), {BUYERS} buyers a round, {CONCURRENCY} at once; median, min and '
          f'max of rounds {2 if ROUNDS > 1 else 1}-{ROUNDS}:')
    print(f'{"step":20s} {"gateway":>8s} {"min":>8s} {"max":>8s} {"postgres":>9s} {"min":>8s} {"max":>8s}  what it covers')
    total, postgres_total = 0.0, 0.0
    for step, _, covers in steps:
        values, postgres_values = figures[step][warmed], postgres[step][warmed]
        total += statistics.median(values)
        postgres_total += statistics.median(postgres_values)
        print(f'{step:20s} {statistics.median(values):8.3f} {min(values):8.3f} {max(values):8.3f} '
              f'{statistics.median(postgres_values):9.3f} {min(postgres_values):8.3f} {max(postgres_values):8.3f}  {covers}')
    print(f'{"a lifecycle":20s} {total:8.3f} {"":17s} {postgres_total:9.3f} {"":17s}  the sums of the medians '
          f'({"the buyer following its event stream" if STREAMS else "no event stream"}; no crowd)')

if __name__ == '__main__':
    main()
