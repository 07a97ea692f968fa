"""Pydantic v2's verdict on datetime strings: writes pydantic_datetimes.json (read by the unit tests of
core/time.rs). Run: python3 -m venv /tmp/v && /tmp/v/bin/pip install pydantic && /tmp/v/bin/python pydantic_datetimes.py > pydantic_datetimes.json
"""
import json, random, re, sys
from datetime import datetime, timezone
import pydantic
from pydantic import BaseModel, ValidationError

class M(BaseModel):
    at: datetime

rng = random.Random(15)
seeds = ["2026-11-27T13:27:14", "2026-11-27 13:27:14.618351", "2026-11-27T13:27:14Z", "2026-11-27T14:27:14+01:00",
         "2026-11-27T12:27:14.5-01:00", "2026-11-27", "2026-11-27T13:27", "2024-02-29T23:59:59.999999+0000",
         "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00", "2026-11-27t13:27:14z",
         "2026-11-27_13:27:14,5", "1970-01-01T00:00:00+23:59", "1969-12-31T23:59:59.9-23:59",
         "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", "0001-01-01T23:58:59+23:59", "9999-12-31T00:00:01-23:59"]
alphabet = list("0123456789-:Tt_ Zz+.,") + ["é", "７", "\u0000", "x", "/"]
cases = set(seeds)
while len(cases) < 450:
    s = list(rng.choice(seeds))
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        i = rng.randrange(len(s) + 1)
        if op < 0.4 and i < len(s):
            s[i] = rng.choice(alphabet)
        elif op < 0.7:
            s.insert(i, rng.choice(alphabet))
        elif i < len(s):
            del s[i]
    cases.add("".join(s))
# Random valid ones across the whole range, in every layout.
while len(cases) < 650:
    y, mo, d = rng.randint(0, 9999), rng.randint(1, 12), rng.randint(1, 31)
    h, mi, se = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    body = f"{y:04}-{mo:02}-{d:02}{rng.choice('Tt_ ')}{h:02}:{mi:02}"
    if rng.random() < 0.8:
        body += f":{se:02}" + (rng.choice(".,") + str(rng.randint(0, 10**rng.randint(1, 9))) if rng.random() < 0.3 else "")
    r = rng.random()
    if r < 0.3:
        body += rng.choice("Zz")
    elif r < 0.7:
        body += f"{rng.choice('+-')}{rng.randint(0, 23):02}{rng.choice([':', ''])}{rng.randint(0, 59):02}"
    cases.add(body)

out = []
for text in sorted(cases):
    if re.fullmatch(r"\s*[+-]?\d+(\.\d*)?\s*", text):
        continue  # pydantic reads numbers as unix timestamps; the worker does not (documented)
    try:
        value = M(at=text).at
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        try:
            secs = int(value.astimezone(timezone.utc).replace(microsecond=0).timestamp())
            out.append([text, secs])
        except OverflowError:
            out.append([text, ["datetime_parsing", "Input should be a valid datetime, date value out of range"], "utc-out-of-range"])
    except ValidationError as e:
        err = e.errors()[0]
        out.append([text, [err["type"], err["msg"]]])
lines = ",\n".join(json.dumps(case, ensure_ascii=False) for case in out)
print('{"pydantic": "%s", "cases": [\n%s\n]}' % (pydantic.VERSION, lines))
