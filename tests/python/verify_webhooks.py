"""Verifies webhook deliveries with the official Standard Webhooks library.

Reads a JSON list on stdin: [{"secret": "whsec_…", "headers": {…}, "body": "…"}, …] and
prints, for each, {"ok": true, "payload": …} or {"ok": false, "error": "…"} as a JSON list.
"""

import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

results = []
for case in json.load(sys.stdin):
    try:
        payload = Webhook(case["secret"]).verify(case["body"], case["headers"])
        results.append({"ok": True, "payload": payload})
    except WebhookVerificationError as e:
        results.append({"ok": False, "error": str(e)})
json.dump(results, sys.stdout)
