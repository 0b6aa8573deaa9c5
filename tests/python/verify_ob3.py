"""Verifies Cairn's Open Badges 3.0 credentials with openbadgeslib (PyPI), an implementation
of OB 3.0 that is not ours: the VC-JWT's signature (with the key its `kid` names in the
issuer's published JWK Set), the credential's structure, contexts and registered claims, and its
revocation status (the W3C Bitstring Status List it points to, the list's own signature checked
when the list and the credential share a key).

stdin: {"jwks_url": "...", "tokens": ["...", ...]}
stdout: [{"verified": bool, "error": str | null, "name": str, "list_signature_checked": bool}]
"""

import json
import sys
import urllib.request

import jwt
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm
from openbadgeslib.ob3.verifier import OB3Verifier


def fetch(url: str) -> bytes:
    # The test's worker is on 127.0.0.1 over http; the library's own downloader is HTTPS-only.
    with urllib.request.urlopen(url, timeout=20) as response:
        return response.read()


def main() -> None:
    request = json.load(sys.stdin)
    jwks = json.loads(fetch(request["jwks_url"]))["keys"]
    keys = {k["kid"]: k for k in jwks}
    current = jwks[0]["kid"] if jwks else None
    results = []
    for token in request["tokens"]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if kid not in keys:
                raise LookupError(f"no published key {kid!r}")
            pem = RSAAlgorithm.from_jwk(json.dumps(keys[kid])).public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            # The status list is signed with the issuer's current key.
            check_list = kid == current
            credential = OB3Verifier(pem).verify(
                token, check_status=True, verify_status_list=check_list, download=fetch
            )
            results.append({
                "verified": True,
                "error": None,
                "name": credential.achievement.name,
                "criteria": credential.achievement.criteria_narrative,
                "list_signature_checked": check_list,
            })
        except Exception as e:  # every failure is a verdict, reported with its reason
            results.append({"verified": False, "error": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
