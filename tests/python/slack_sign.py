"""Signs a request body as Slack does, with Slack's official SDK.

Reads {"secret": …, "timestamp": …, "body": …} on stdin; prints the X-Slack-Signature value.
"""

import json
import sys

from slack_sdk.signature import SignatureVerifier

case = json.load(sys.stdin)
signature = SignatureVerifier(case["secret"]).generate_signature(
    timestamp=case["timestamp"], body=case["body"]
)
sys.stdout.write(signature)
