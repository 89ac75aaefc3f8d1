"""A policy worker that dies as rego-cpp does when it runs out of stack: it starts
policy 0 and aborts (tests/engine/test_policyrun.py runs it in the worker's place)."""

import json
import os
import sys

sys.stdout.write(json.dumps({"ready": True}) + "\n" + json.dumps({"running": 0}) + "\n")
sys.stdout.flush()
os.abort()
