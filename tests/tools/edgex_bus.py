#!/usr/bin/python3
# The EdgeX side of 66-edgex: `listen` subscribes to a real broker (MQTT with
# paho, Redis pub/sub with redis-py) as EdgeX core-data does and writes each
# message as a JSON line; `check` verifies every field EdgeX requires of the
# captured events, with origins compared as exact integers (Python's json
# keeps them; jq's doubles would round them to 256 ns).
import argparse
import base64
import json
import re
import sys
import time
from collections import defaultdict

UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')
# Go's fmt "%e" of a float64, as EdgeX writes Float64 values.
FLOAT = re.compile(r'^(-?[0-9]\.[0-9]{6}e[+-][0-9]{2,3}|NaN|[+-]Inf)$')
WORKLOAD = {'target': 'String', 'cpu_util': 'Float64', 'rq_p99_ms': 'Float64',
            'srtt_ms': 'Float64', 'reward': 'Float64'}
PEER = {'up': 'Bool', 'rtt_ms': 'Float64', 'cpu_util': 'Float64', 'rq_p99_ms': 'Float64'}


def listen(a):
    host, port = a.url.split('://')[1].rsplit(':', 1)
    out = open(a.out, 'w')
    n = 0

    def keep(topic, payload):
        nonlocal n
        out.write(json.dumps({'topic': topic, 'payload': payload.decode(),
                              't_ns': time.time_ns()}) + '\n')
        out.flush()
        n += 1

    def ready():
        open(a.ready, 'w').close()

    end = time.time() + a.seconds
    if a.url.startswith('mqtt://'):
        import paho.mqtt.client as mqtt
        c = mqtt.Client()
        c.on_message = lambda c, u, m: keep(m.topic, m.payload)
        c.on_subscribe = lambda c, u, mid, q: ready()
        c.on_connect = lambda c, u, f, rc: c.subscribe(a.topic + '/#')
        c.connect(host, int(port))
        while time.time() < end and (not a.count or n < a.count):
            c.loop(timeout=0.05)
        c.disconnect()
    else:
        import redis
        p = redis.Redis(host=host, port=int(port)).pubsub()
        p.psubscribe(a.topic.replace('/', '.') + '.*')
        while time.time() < end and (not a.count or n < a.count):
            m = p.get_message(timeout=0.05)
            if m and m['type'] == 'psubscribe':
                ready()
            elif m and m['type'] == 'pmessage':
                keep(m['channel'].decode(), m['data'])
        p.close()
    out.close()


def problem(msg):
    print('# ' + msg)
    return 1


def check_reading(r, ev, kinds, names):
    bad = 0
    for k in ('id', 'origin', 'deviceName', 'resourceName', 'profileName', 'valueType', 'value'):
        if k not in r:
            return problem('reading without %s: %s' % (k, r))
    if not UUID.match(r['id']):
        bad += problem('reading id not a UUID: %s' % r['id'])
    if type(r['origin']) is not int or r['origin'] != ev['origin']:
        bad += problem('reading origin %r is not the event\'s %r' % (r['origin'], ev['origin']))
    if r['deviceName'] != ev['deviceName'] or r['profileName'] != ev['profileName']:
        bad += problem('reading names differ from the event\'s: %s' % r)
    want = kinds.get(r['resourceName'])
    if want != r['valueType']:
        bad += problem('%s: valueType %s, expected %s' % (r['resourceName'], r['valueType'], want))
    v = r['value']
    if want == 'Float64' and not FLOAT.match(v):
        bad += problem('%s: %r is not Go\'s %%e' % (r['resourceName'], v))
    if want == 'Bool' and v not in ('true', 'false'):
        bad += problem('%s: %r is not a Bool' % (r['resourceName'], v))
    if want == 'String' and v not in names:
        bad += problem('%s: %r is not a target' % (r['resourceName'], v))
    return bad


def check_event(m, a, ids):
    """One message: envelope, request, event, readings. Returns (source, origin, problems)."""
    env = json.loads(m['payload'])
    bad = 0
    for k, v in (('apiVersion', 'v3'), ('contentType', 'application/json'), ('errorCode', 0)):
        if env.get(k) != v:
            bad += problem('envelope %s = %r, expected %r' % (k, env.get(k), v))
    if not UUID.match(env.get('correlationID', '')):
        bad += problem('correlationID not a UUID: %r' % env.get('correlationID'))
    pl = env['payload']
    if a.version == 3:
        if not isinstance(pl, str):
            return None, None, problem('EdgeX 3 payload is not base64 text')
        pl = json.loads(base64.b64decode(pl, validate=True))
    elif not isinstance(pl, dict):
        return None, None, problem('EdgeX 4 payload is not an object')
    if pl.get('apiVersion') != 'v3' or not UUID.match(pl.get('requestId', '')):
        bad += problem('AddEventRequest apiVersion/requestId: %s' % pl)
    ev = pl['event']
    levels = m['topic'].split('/' if '/' in m['topic'] else '.')
    kind = 'workload' if ev.get('profileName') == a.profile else 'peer'
    expect = [*a.topic.split('/'), a.service, ev.get('profileName'), a.device, ev.get('sourceName')]
    if levels != expect:
        bad += problem('topic %s does not name the event %s' % (m['topic'], expect))
    if ev.get('apiVersion') != 'v3' or not UUID.match(ev.get('id', '')) or ev['id'] in ids:
        bad += problem('event id missing, not a UUID or repeated: %r' % ev.get('id'))
    ids.add(ev.get('id'))
    if ev.get('deviceName') != a.device or ev.get('profileName') not in (a.profile, a.peer_profile):
        bad += problem('event names: %s %s' % (ev.get('deviceName'), ev.get('profileName')))
    if type(ev.get('origin')) is not int or abs(ev['origin'] - m['t_ns']) > 2 * 10**9:
        bad += problem('origin %r is not the ns time it was sent (received at %d)' % (ev.get('origin'), m['t_ns']))
    kinds = WORKLOAD if kind == 'workload' else PEER
    names = {r['resourceName'] for r in ev.get('readings', [])}
    if names != set(kinds):
        bad += problem('%s readings %s, expected %s' % (kind, sorted(names), sorted(kinds)))
    for r in ev.get('readings', []):
        bad += check_reading(r, ev, kinds, a.targets.split(','))
        want = dict(t.split('=') for t in a.decided.split(',') if t).get(ev.get('sourceName'))
        if kind == 'workload' and r['resourceName'] == 'target' and want and r['value'] != want:
            bad += problem('%s: target %s, decided %s' % (ev.get('sourceName'), r['value'], want))
    return (kind, ev.get('sourceName')), ev.get('origin'), bad


def check(a):
    msgs = [json.loads(l) for l in open(a.file)]
    ids, origins, bad = set(), defaultdict(list), 0
    for m in msgs:
        src, origin, b = check_event(m, a, ids)
        bad += b
        if src:
            origins[src].append(origin)
    want = {('workload', w) for w in a.workloads.split(',')} | {('peer', p) for p in a.peers.split(',')}
    if set(origins) != want:
        bad += problem('sources %s, expected %s' % (sorted(origins), sorted(want)))
    for src, o in sorted(origins.items()):
        steps = [y - x for x, y in zip(o, o[1:])]
        print('# %s %s: %d events, origins %s..%s' % (*src, len(o), o[0], o[-1]))
        if a.per_source and len(o) != a.per_source:
            bad += problem('%s: %d events, expected %d' % (src, len(o), a.per_source))
        if a.tick_ms and (len(o) < a.min_events or any(abs(s - a.tick_ms * 10**6) > a.tick_ms * 10**6 // 2 for s in steps)):
            bad += problem('%s: %d events, origin steps (ns) %s are not one per %d ms tick'
                           % (src, len(o), steps, a.tick_ms))
    print('# %d messages, %d problems' % (len(msgs), bad))
    return 1 if bad or not msgs else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    l = sub.add_parser('listen')
    l.add_argument('--url', required=True)
    l.add_argument('--topic', default='edgex/events/device')
    l.add_argument('--seconds', type=float, required=True)
    l.add_argument('--count', type=int, default=0)
    l.add_argument('--out', required=True)
    l.add_argument('--ready', required=True)
    c = sub.add_parser('check')
    c.add_argument('file')
    c.add_argument('--version', type=int, required=True)
    c.add_argument('--topic', default='edgex/events/device')
    c.add_argument('--service', default='offloadd')
    c.add_argument('--profile', default='offloadd-workload')
    c.add_argument('--peer-profile', default='offloadd-peer')
    c.add_argument('--device', required=True)
    c.add_argument('--workloads', required=True)
    c.add_argument('--peers', required=True)
    c.add_argument('--targets', required=True)
    c.add_argument('--decided', default='', help='WORKLOAD=TARGET,...')
    c.add_argument('--tick-ms', type=int, default=0)
    c.add_argument('--min-events', type=int, default=2)
    c.add_argument('--per-source', type=int, default=0)
    a = ap.parse_args()
    sys.exit(listen(a) if a.cmd == 'listen' else check(a))


main()
