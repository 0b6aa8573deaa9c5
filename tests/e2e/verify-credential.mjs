// Verifies Open Badges 3.0 VC-JWTs with `jose` (npm), the JOSE library most verifiers use —
// not with Cairn's code — and reads their revocation bit in the issuer's status list. Reads JSON on stdin: {"jwks_url", "issuer", "tokens": [..]}; prints
// one JSON line: per token, whether the signature verifies against the issuer's published
// keys, whether its status (the issuer's revocation list) says revoked, its header and payload,
// and the OB 3.0 shape problems found.
import { gunzipSync } from "node:zlib";
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from "jose";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (c) => (text += c)).on("end", () => resolve(text));
}));

// The required properties of OB 3.0's OpenBadgeCredential, AchievementSubject and Achievement
// (1EdTech Open Badges 3.0 §B "Data model"), and VC 2.0's context order.
function shape(vc) {
  const problems = [];
  const need = (ok, what) => ok || problems.push(what);
  need(Array.isArray(vc["@context"]) && vc["@context"][0] === "https://www.w3.org/ns/credentials/v2", "@context[0] is VC 2.0");
  need(Array.isArray(vc["@context"]) && /^https:\/\/purl\.imsglobal\.org\/spec\/ob\/v3p0\/context-3\.0\.\d+\.json$/.test(vc["@context"][1]), "@context[1] is OB 3.0");
  need(typeof vc.id === "string" && /^https?:\/\//.test(vc.id), "id is a URL");
  need(Array.isArray(vc.type) && vc.type.includes("VerifiableCredential") && vc.type.includes("OpenBadgeCredential"), "type");
  need(vc.issuer && typeof vc.issuer.id === "string" && vc.issuer.type.includes("Profile"), "issuer Profile");
  need(typeof vc.validFrom === "string" && !Number.isNaN(Date.parse(vc.validFrom)), "validFrom");
  const s = vc.credentialSubject || {};
  need(Array.isArray(s.type) && s.type.includes("AchievementSubject"), "credentialSubject type");
  need(typeof s.id === "string" || Array.isArray(s.identifier), "credentialSubject id or identifier");
  const a = s.achievement || {};
  need(typeof a.id === "string" && Array.isArray(a.type) && a.type.includes("Achievement"), "achievement id and type");
  need(typeof a.name === "string" && a.name.length > 0, "achievement name");
  need(typeof a.description === "string", "achievement description");
  need(a.criteria && (typeof a.criteria.narrative === "string" || typeof a.criteria.id === "string"), "achievement criteria");
  return problems;
}

const jwks = createRemoteJWKSet(new URL(input.jwks_url), { cacheMaxAge: 0, cooldownDuration: 0 });
const results = [];
for (const token of input.tokens) {
  try {
    const header = decodeProtectedHeader(token);
    const { payload } = await jwtVerify(token, jwks, { issuer: input.issuer, algorithms: ["RS256"] });
    const vc = payload; // OB 3.0 §8.2.4.1: the payload is the credential
    const claims = [];
    if (payload.jti !== vc.id) claims.push("jti is the credential id");
    if (payload.sub !== (vc.credentialSubject || {}).id) claims.push("sub is the subject id");
    if (payload.nbf !== Math.floor(Date.parse(vc.validFrom) / 1000)) claims.push("nbf is validFrom");
    // The status the credential names: its bit in the issuer's Bitstring Status List, itself a
    // VC-JWT verified with the same key set.
    let revoked = null;
    const status = vc.credentialStatus;
    if (status && status.type === "BitstringStatusListEntry" && status.statusPurpose === "revocation") {
      const listJwt = await (await fetch(status.statusListCredential)).text();
      const { payload: list } = await jwtVerify(listJwt, jwks, { issuer: input.issuer, algorithms: ["RS256"] });
      const encoded = list.credentialSubject.encodedList;
      if (!encoded.startsWith("u")) claims.push("encodedList is multibase base64url");
      const bits = gunzipSync(Buffer.from(encoded.slice(1), "base64url"));
      if (bits.length < 16384) claims.push("the list has at least 131,072 bits");
      const i = Number(status.statusListIndex);
      revoked = ((bits[i >> 3] >> (7 - (i & 7))) & 1) === 1;
    } else {
      claims.push("credentialStatus is a revocation BitstringStatusListEntry");
    }
    results.push({ verified: true, revoked, header, payload, problems: [...shape(vc), ...claims] });
  } catch (e) {
    results.push({ verified: false, error: `${e.code || e.name}: ${e.message}` });
  }
}
console.log(JSON.stringify({ results }));
