#!/usr/bin/env python3
"""Hostile records for tests/e2e/hostile_*.sh (not a test itself: ctest runs
only tests/e2e/*.sh).

  hostile_gen.py pipeline DIR SEED   poison pizza events, one file each
  hostile_gen.py orders DIR ORDER    bad pizza-orders-changelog records
  hostile_gen.py report DIR TOPIC    bad cheese-report-changelog records
  hostile_gen.py count DUMP          how many records DUMP holds
  hostile_gen.py dlq-check SRC DLQ TOPIC READERS...
                                     SRC, DLQ: `kafka_records dump` output; every
                                     SRC record dead-lettered once per reader

Each generated record is DIR/NNN.value (absent: a null value), DIR/NNN.key
(absent: no key), DIR/NNN.headers (name=value lines, may be absent) and
DIR/NNN.partition (absent: by key); the
shell produces them with tests/tools/kafka_records. Everything is deterministic (SEED).
"""
import json
import os
import random
import sys

MAX_EVENT = 65536  # [stage]/[orders]/[reporter] max_event_bytes default


def pizza(**over):
    ev = {"id": "hostile-pizza", "order_id": "hostile", "sauce": "", "cheese": "",
          "meats": "", "veggies": ""}
    ev.update(over)
    return ev


def enc(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def with_raw(field, raw):
    """A pizza whose field's value is the raw bytes given (not re-encoded)."""
    return enc(pizza(**{field: "@@RAW@@"})).replace(b'"@@RAW@@"', raw)


def bad_utf8():
    """(name, bytes inside a JSON string) that are not well-formed UTF-8 / JSON text."""
    return [
        ("overlong-2", b"\xc0\xaf"),
        ("overlong-3", b"\xe0\x80\xaf"),
        ("overlong-4", b"\xf0\x80\x80\xaf"),
        ("surrogate-bytes", b"\xed\xa0\x80"),
        ("lone-high-escape", b"\\ud800"),
        ("lone-low-escape", b"\\udc00"),
        ("high-then-text", b"\\ud800x"),
        ("bare-continuation", b"\x80"),
        ("truncated-3", b"\xe2\x82"),
        ("truncated-at-end", b"ab\xf0\x9f\x8d"),
        ("byte-ff", b"\xff"),
        ("past-10ffff", b"\xf4\x90\x80\x80"),
        ("nul-escape", b"\\u0000"),
        ("raw-nul", b"a\x00b"),
        ("raw-control", b"a\x01b"),
    ]


def pipeline(seed):
    rng = random.Random(seed)
    out = []  # (name, value or None, key or None)
    key = b"hostile"
    for i in range(8):  # random bytes: NULs and bytes >= 0x80 included
        n = rng.randint(1, 300)
        b = bytes(rng.randrange(256) for _ in range(n))
        if i == 0:
            b = b"\x00" + b
        if i == 1:
            b = b"{" + b  # starts like an object
        out.append(("random-%d" % i, b, key))
    out.append(("nul-only", b"\x00", key))
    out.append(("high-bytes", bytes(range(0x80, 0x100)), key))
    # nesting: 65 and 100 levels (over the scanner's 64), 30,000 closed and
    # 60,000 unclosed (within the size limit: must not recurse), 100,000
    # (also over the size limit)
    for depth in (65, 100, 30000):
        out.append(("nest-array-%d" % depth,
                    with_raw("meats", b"[" * depth + b"]" * depth), key))
    out.append(("nest-object-100", with_raw("veggies", b'{"a":' * 100 + b"1" + b"}" * 100), key))
    out.append(("nest-unclosed-60000", with_raw("meats", b"[" * 60000), key))
    out.append(("nest-top-100000", b"[" * 100000 + b"]" * 100000, key))
    # huge strings: at the limit (but a wrong type elsewhere), one byte over,
    # and far over; a huge member name
    base = len(enc(pizza(sauce="", cheese=0)))
    at = enc(pizza(sauce="x" * (MAX_EVENT - base), cheese=0))
    assert len(at) == MAX_EVENT, len(at)
    out.append(("huge-at-limit-wrong-type", at, key))
    base = len(enc(pizza(sauce="")))
    over = enc(pizza(sauce="x" * (MAX_EVENT + 1 - base)))
    assert len(over) == MAX_EVENT + 1
    out.append(("huge-over-limit", over, key))
    out.append(("huge-far-over", enc(pizza(sauce="x" * 900000)), key))
    huge_name = enc(pizza())[:-1] + b',"' + b"n" * 60000 + b'":1,"order_id":7}'
    out.append(("huge-name-then-dup-type", huge_name, key))
    # every wrong type of every string field we read
    for field in ("id", "order_id", "sauce", "cheese", "meats", "veggies"):
        for tname, raw in (("number", b"7"), ("float", b"-1.5e3"), ("array", b'["x"]'),
                           ("object", b'{"x":"y"}'), ("null", b"null"), ("true", b"true"),
                           ("false", b"false")):
            out.append(("type-%s-%s" % (field, tname), with_raw(field, raw), key))
        if field != "id":
            obj = pizza()
            del obj[field]
            out.append(("missing-%s" % field, enc(obj), key))
    out.append(("empty-order-id", enc(pizza(order_id="")), key))
    out.append(("empty-id", enc(pizza(id="")), key))
    # invalid UTF-8 / escapes in a value and in a member name
    for name, raw in bad_utf8():
        out.append(("utf8-value-%s" % name, with_raw("cheese", b'"' + raw + b'"'), key))
        out.append(("utf8-name-%s" % name, enc(pizza())[:-1] + b',"k' + raw + b'":1}', key))
    # duplicates of fields we read
    for field in ("order_id", "cheese", "id"):
        out.append(("dup-%s" % field, enc(pizza())[:-1] + b',"' + field.encode() + b'":"z"}', key))
    # not one object: empty, whitespace, scalars, arrays, trailing bytes, BOM
    valid = enc(pizza())
    for name, b in (("empty-value", b""), ("spaces", b"  \n"), ("string", b'"pizza"'),
                    ("number", b"42"), ("null-literal", b"null"), ("array", b"[" + valid + b"]"),
                    ("trailing-garbage", valid + b" x"), ("trailing-object", valid + valid),
                    ("trailing-nul", valid + b"\x00"), ("trailing-comma", valid[:-1] + b",}"),
                    ("bom", b"\xef\xbb\xbf" + valid), ("utf16", valid.decode().encode("utf-16")),
                    ("single-quotes", valid.replace(b'"', b"'")), ("truncated", valid[:-1]),
                    ("unquoted-name", b"{order_id:1}"), ("nan", valid[:-1] + b',"x":NaN}'),
                    ("leading-zero", valid[:-1] + b',"x":01}')):
        out.append((name, b, key))
    # keys: none, empty, not UTF-8, huge (with poison values), and a null value
    out.append(("no-key", b"not json", None))
    out.append(("empty-key", b"not json", b""))
    out.append(("binary-key", b"not json", b"\xc0\xaf\xff"))
    out.append(("huge-key", b"not json", b"k" * 10000))
    out.append(("tombstone", None, key))
    out.append(("tombstone-no-key", None, None))
    return out


def orders(order):
    """Bad pizza-orders-changelog records, all in partition 0. ORDER is a good
    pending order of 3 pizzas (its record comes first); the finished-pizza
    records naming it are all bad but the last one (id "hp-good"). None of the
    order ids "h-..." must be stored."""
    NONE = b"\0absent"  # a header or key left out

    def rec(name, value, kind=b"order", oid=None, key=None, extra=None):
        oid = o if oid is None else oid
        h = []
        if kind != NONE:
            h.append(b"pizza.record=" + kind)
        if oid != NONE:
            h.append(b"pizza.order=" + oid)
        h += extra or []
        key = oid if key is None else key
        return (name, value, None if key == NONE else key, h)

    o = order.encode()
    good = {"order_id": order, "count": 1, "created_ms": 1700000000000}
    out = [rec("pending-order", enc(dict(good, count=3)))]
    rng = random.Random(order)
    for i in range(6):
        b = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
        out.append(rec("random-order-%d" % i, b, oid=b"h-rand-%d" % i))
        out.append(rec("random-pizza-%d" % i, b, kind=b"pizza", key=b"h-rand-pizza-%d" % i))
    for depth in (100, 100000):
        out.append(rec("nest-%d" % depth, b"[" * depth + b"]" * depth, oid=b"h-nest-%d" % depth))
    out.append(rec("huge-string", enc(dict(good, order_id="h-huge", count="9" * 900000)),
                   oid=b"h-huge"))
    out.append(rec("huge-number", enc(dict(good, order_id="h-huge-n"))
                   .replace(b'"count":1', b'"count":' + b"9" * 900000), oid=b"h-huge-n"))
    # counts: out of range, wrong type
    for name, raw in (("zero", b"0"), ("negative", b"-1"), ("over-max", b"10001"),
                      ("int-max", b"2147483648"), ("e18", b"1000000000000000000"),
                      ("over-int64", b"99999999999999999999"), ("float", b"1.5"),
                      ("exp", b"1e3"), ("string", b'"1"'), ("null", b"null"),
                      ("array", b"[1]"), ("object", b'{"n":1}'), ("bool", b"true")):
        oid = b"h-count-" + name.encode()
        v = enc(dict(good, order_id=oid.decode(), count="@@"))
        out.append(rec("count-" + name, v.replace(b'"@@"', raw), oid=oid))
    obj = dict(good, order_id="h-count-missing")
    del obj["count"]
    out.append(rec("count-missing", enc(obj), oid=b"h-count-missing"))
    for name, raw in (("string", b'"now"'), ("float", b"1.5"), ("null", b"null"),
                      ("negative", b"-5"), ("array", b"[]"), ("over-int64", b"1e400")):
        oid = b"h-created-" + name.encode()
        v = enc(dict(good, order_id=oid.decode(), created_ms="@@"))
        out.append(rec("created-" + name, v.replace(b'"@@"', raw), oid=oid))
    for name, raw in (("number", b"7"), ("array", b'["x"]'), ("null", b"null")):
        oid = b"h-tp-" + name.encode()
        v = enc(dict(good, order_id=oid.decode(), traceparent="@@"))
        out.append(rec("traceparent-" + name, v.replace(b'"@@"', raw), oid=oid))
    out.append(rec("traceparent-garbage", enc(dict(good, order_id="tp-garbage",
                                                    traceparent="zz")), oid=b"tp-garbage"))
    for name, raw in bad_utf8():
        oid = b"h-utf8-" + name.encode()
        v = enc(dict(good, order_id=oid.decode(), traceparent="@@"))
        out.append(rec("utf8-" + name, v.replace(b'"@@"', b'"' + raw + b'"'), oid=oid))
    oid = b"h-dup-count"
    out.append(rec("dup-count", enc(dict(good, order_id=oid.decode()))[:-1] + b',"count":2}',
                   oid=oid))
    for name, b in (("empty-value", b""), ("bom", b"\xef\xbb\xbf"), ("trailing", b" x"),
                    ("array", None)):
        oid = b"h-shape-" + name.encode()
        v = enc(dict(good, order_id=oid.decode()))
        v = b if name == "empty-value" else (b"[" + v + b"]" if b is None else
                                            (b + v if name == "bom" else v + b))
        out.append(rec("shape-" + name, v, oid=oid))
    # headers: missing, unknown kind, oversize order id, order id not an id,
    # order id unlike the key or the value's
    v = enc(dict(good, order_id="h-hdr"))
    out.append(rec("no-headers", v, kind=NONE, oid=NONE, key=b"h-hdr"))
    out.append(rec("no-kind", v, kind=NONE, oid=b"h-hdr"))
    out.append(rec("no-order", v, oid=NONE, key=b"h-hdr"))
    out.append(rec("kind-unknown", v, kind=b"pasta", oid=b"h-hdr"))
    out.append(rec("kind-huge", v, kind=b"o" * 5000, oid=b"h-hdr"))
    big = b"h" * 5000
    out.append(rec("order-oversize", enc(dict(good, order_id=big.decode())), oid=big))
    out.append(rec("order-65", enc(dict(good, order_id="h" * 65)), oid=b"h" * 65))
    out.append(rec("order-not-id", enc(dict(good, order_id="h/../x")), oid=b"h/../x"))
    out.append(rec("order-utf8", v, oid=b"h-\xc0\xaf"))
    out.append(rec("order-nul", v, oid=b"h-\x00x"))
    out.append(rec("key-mismatch", enc(dict(good, order_id="h-keymis")), oid=b"h-keymis",
                   key=b"h-other"))
    out.append(rec("value-mismatch", enc(dict(good, order_id="h-other")), oid=b"h-valmis"))
    out.append(rec("no-key", enc(dict(good, order_id="h-nokey")), oid=b"h-nokey", key=NONE))
    out.append(rec("empty-key", enc(dict(good, order_id="h-emptykey")), oid=b"h-emptykey", key=b""))
    # pizza records naming the real order: malformed, or not one of its pizzas
    def pz(**over):
        return enc(pizza(order_id=order, **over))
    for name, value, key in (
            ("pizza-not-json", b"not json", b"hp-1"),
            ("pizza-empty", b"", b"hp-2"),
            ("pizza-trailing", pz(id="hp-3") + b"x", b"hp-3"),
            ("pizza-bom", b"\xef\xbb\xbf" + pz(id="hp-4"), b"hp-4"),
            ("pizza-utf8", pz(id="hp-5").replace(b'"sauce":""', b'"sauce":"\xc0\xaf"'), b"hp-5"),
            ("pizza-nest", pz(id="hp-6")[:-1] + b',"x":' + b"[" * 100 + b"]" * 100 + b"}", b"hp-6"),
            ("pizza-type", pz(id="hp-7", cheese=1), b"hp-7"),
            ("pizza-huge", pz(id="hp-8", sauce="x" * 900000).replace(b'"veggies":""',
                                                                     b'"veggies":"\xff"'), b"hp-8"),
            ("pizza-other-order", enc(pizza(id="hp-9", order_id="h-other")), b"hp-9"),
            ("pizza-key-not-id", pz(id="hp-10"), b"hp-10-other"),
            ("pizza-no-id", enc({k: v for k, v in pizza(order_id=order).items() if k != "id"}),
             b"hp-11"),
            ("pizza-no-key", pz(id="hp-12"), NONE),
            ("pizza-empty-key", pz(id="hp-15"), b""),
            ("pizza-key-nul", pz(id="hp-13"), b"hp-13\x00x"),
            ("pizza-key-huge", pz(id="k" * 5000), b"k" * 5001),
            ("pizza-dup-id", pz(id="hp-16")[:-1] + b',"id":"hp-16"}', b"hp-16")):
        out.append(rec(name, value, kind=b"pizza", key=key))
    out.append(rec("pizza-tombstone", None, kind=b"pizza", key=b"hp-14"))
    out.append(rec("pizza-good", pz(id="hp-good", sauce="light"), kind=b"pizza", key=b"hp-good"))
    return [r + (0,) for r in out]


def report(topic):
    """Bad cheese-report-changelog records, each keyed as a real partition's
    snapshot (TOPIC/0) unless the key is the point."""
    t = topic
    key = (t + "/0").encode()

    def snap(**over):
        s = {"topic": t, "partition": 0, "next_offset": 1000000, "counts": {"extra": 1}}
        s.update(over)
        return s

    def raw(field, r):
        return enc(snap(**{field: "@@"})).replace(b'"@@"', r)

    out = []
    rng = random.Random(topic)
    for i in range(6):
        out.append(("random-%d" % i, bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))),
                    key))
    for depth in (100, 100000):
        out.append(("nest-%d" % depth, raw("counts", b'{"a":' * depth + b"1" + b"}" * depth), key))
    out.append(("huge-string", enc(snap(next_offset="9" * 900000)), key))
    out.append(("huge-number", raw("next_offset", b"9" * 900000), key))
    out.append(("huge-topic", enc(snap(topic="t" * 300)), ("t" * 300 + "/0").encode()))
    for field, values in (
            ("topic", (b"7", b"null", b"[]", b'""')),
            ("partition", (b'"0"', b"-1", b"2147483648", b"1.5", b"null")),
            ("next_offset", (b'"5"', b"-1", b"1.5", b"null", b"99999999999999999999")),
            ("counts", (b"[]", b"null", b"7", b'"x"', b'{"extra":-1}', b'{"extra":1.5}',
                        b'{"extra":"1"}', b'{"extra":null}', b'{"extra":99999999999999999999}',
                        b'{"extra":1000000000000000000}', b'{"extra":1000001}',
                        b'{"a":600000,"b":400001}'))):
        for i, r in enumerate(values):
            out.append(("%s-%d" % (field, i), raw(field, r), key))
    for name, r in bad_utf8():
        out.append(("utf8-name-" + name, raw("counts", b'{"x' + r + b'":1}'), key))
    good = enc(snap())
    for name, b in (("empty", b""), ("bom", b"\xef\xbb\xbf" + good), ("trailing", good + b"x"),
                    ("two", good + good), ("dup-next", good[:-1] + b',"next_offset":2000000}'),
                    ("array", b"[" + good + b"]"), ("missing-counts",
                                                    enc({"topic": t, "partition": 0,
                                                         "next_offset": 1000000}))):
        out.append((name, b, key))
    # keys: absent, empty, another partition's, not UTF-8
    out.append(("no-key", good, None))
    out.append(("empty-key", good, b""))
    out.append(("other-partition-key", good, (t + "/1").encode()))
    out.append(("binary-key", good, b"\xc0\xaf"))
    out.append(("tombstone", None, key))
    return out


def write(d, recs):
    os.makedirs(d, exist_ok=True)
    for i, r in enumerate(recs):
        name, value, key = r[0], r[1], r[2]
        headers = r[3] if len(r) > 3 else [b"hostile=" + name.encode()]
        base = os.path.join(d, "%03d" % i)
        if len(r) > 4:
            open(base + ".partition", "w").write("%d\n" % r[4])
        if value is not None:
            open(base + ".value", "wb").write(value)
        if key is not None:
            open(base + ".key", "wb").write(key)
        if headers:
            open(base + ".headers", "wb").write(b"\n".join(headers) + b"\n")
        open(base + ".name", "w").write(name + "\n")


def read_dump(path):
    """Reads `kafka_records dump` output: [(partition, offset, key, value,
    [(header name, value)])], None for a NULL key, value or header value."""
    data = open(path, "rb").read()
    recs, pos = [], 0

    def line():
        nonlocal pos
        nl = data.index(b"\n", pos)
        fields = [int(x) for x in data[pos:nl].split()]
        pos = nl + 1
        return fields

    def take(n):
        nonlocal pos
        if n < 0:
            return None
        pos += n
        return data[pos - n:pos]

    while pos < len(data):
        p, o, kl, vl, nh = line()
        key, value = take(kl), take(vl)
        headers = []
        for _ in range(nh):
            nl_, vl_ = line()
            headers.append((take(nl_), take(vl_)))
        assert data[pos:pos + 1] == b"\n", "dump out of step at %d" % pos
        pos += 1
        recs.append((p, o, key, value, headers))
    return recs


def dlq_check(src, dlq, topic, readers):
    """Every record of SRC is in DLQ exactly once per reader: same key and
    value bytes (a null value stays null), its headers kept and then
    dlq.reason, dlq.topic, dlq.partition, dlq.offset and dlq.consumer naming
    it. Nothing else is in DLQ. Prints the problems; exit 1 if any."""
    bad = []
    source = {(p, o): (k, v, h) for p, o, k, v, h in read_dump(src)}
    seen = {}
    for p, o, k, v, h in read_dump(dlq):
        hs = dict(h)
        try:
            where = (int(hs[b"dlq.partition"]), int(hs[b"dlq.offset"]))
            reader = hs[b"dlq.consumer"].decode()
        except (KeyError, ValueError, AttributeError):
            bad.append("dlq [%d] @%d: no coordinates: %r" % (p, o, h))
            continue
        if hs.get(b"dlq.topic") != topic.encode():
            bad.append("dlq [%d] @%d: dlq.topic %r" % (p, o, hs.get(b"dlq.topic")))
            continue
        if not hs.get(b"dlq.reason"):
            bad.append("dlq [%d] @%d: no dlq.reason" % (p, o))
        if where not in source:
            bad.append("dlq [%d] @%d: names %s [%d] @%d, not a hostile record" % (p, o, topic, *where))
            continue
        seen[(where, reader)] = seen.get((where, reader), 0) + 1
        sk, sv, sh = source[where]
        if k != sk:
            bad.append("%s [%d] @%d: key %r, dlq key %r" % (topic, *where, sk and sk[:40], k and k[:40]))
        if v != sv:
            bad.append("%s [%d] @%d: value differs (%s vs %s bytes)" % (
                topic, *where, None if sv is None else len(sv), None if v is None else len(v)))
        if h[:len(sh)] != sh:
            bad.append("%s [%d] @%d: headers %r, dlq headers %r" % (topic, *where, sh, h))
        if [n for n, _ in h[len(sh):]] != [b"dlq.reason", b"dlq.topic", b"dlq.partition",
                                            b"dlq.offset", b"dlq.consumer"]:
            bad.append("%s [%d] @%d: dlq headers %r" % (topic, *where, h[len(sh):]))
    for where in source:
        for reader in readers:
            n = seen.get((where, reader), 0)
            if n != 1:
                bad.append("%s [%d] @%d: dead-lettered %d times by %s" % (topic, *where, n, reader))
    for (where, reader) in seen:
        if reader not in readers:
            bad.append("%s [%d] @%d: dead-lettered by %s" % (topic, *where, reader))
    for b in bad[:20]:
        print(b)
    if not bad:
        print("%d records, each dead-lettered once by each of %s" % (len(source), " ".join(readers)))
    return 1 if bad else 0


def main():
    mode = sys.argv[1]
    if mode == "pipeline":
        write(sys.argv[2], pipeline(int(sys.argv[3])))
    elif mode == "orders":
        write(sys.argv[2], orders(sys.argv[3]))
    elif mode == "report":
        write(sys.argv[2], report(sys.argv[3]))
    elif mode == "count":
        print(len(read_dump(sys.argv[2])))
    elif mode == "dlq-check":
        sys.exit(dlq_check(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
