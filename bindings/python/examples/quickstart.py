"""Three observations through c_examples/quickstart.json: one archived, two rejected.
Usage: python quickstart.py MANIFEST [ROOT]   (ROOT: where {}/obs.jsonl goes)"""

import sys

import messageapi as mapi

with mapi.Session(sys.argv[1], root=sys.argv[2] if len(sys.argv) > 2 else None) as session:
    request = session.request()
    for station, temp in [("KILX", 21.5), ("KORD", -3.0), (None, 10.0)]:
        request.add({"station": station, "temp": temp}, conditions={"warm": 0.0})
    response = request.submit()  # returns at once; .records and .rejections wait
    print("archived:", len(response.records))
    for rejection in response.rejections:
        print("rejected:", rejection.reasons[0])
