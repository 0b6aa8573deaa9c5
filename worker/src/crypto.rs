//! Randomness and sealed secrets, through the runtime's Web Crypto.
//!
//! Secrets the worker must use again (webhook signing secrets, providers' tokens) are sealed
//! with AES-256-GCM under the deployment's `CAIRN_SECRETS_KEY` (32 random bytes, base64; a
//! `wrangler secret`) before they reach D1, and opened only to be used. The API never returns
//! them after the answer that made them. A sealed value is `v1.{iv}.{ciphertext}` (base64url,
//! a fresh 96-bit IV each time); the project id is the additional data, so a value copied into
//! another project's row does not open.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesGcmParams, CryptoKey, SubtleCrypto};
use worker::Env;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The deployment secret's name.
pub const SECRETS_KEY: &str = "CAIRN_SECRETS_KEY";

fn js(e: JsValue) -> ApiError {
    ApiError::internal(format!("web crypto: {e:?}"))
}

fn crypto() -> ApiResult<web_sys::Crypto> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).map_err(js)?;
    Ok(crypto.unchecked_into())
}

fn subtle() -> ApiResult<SubtleCrypto> {
    Ok(crypto()?.subtle())
}

/// `n` bytes from the platform's CSPRNG.
pub fn random_bytes(n: usize) -> ApiResult<Vec<u8>> {
    let mut bytes = vec![0u8; n];
    crypto()?
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(js)?;
    Ok(bytes)
}

/// `CAIRN_SECRETS_KEY` as configured (a `wrangler secret`, or a `--var` locally).
pub fn deployment_secret(env: &Env) -> Option<String> {
    env.secret(SECRETS_KEY)
        .map(|s| s.to_string())
        .or_else(|_| env.var(SECRETS_KEY).map(|s| s.to_string()))
        .ok()
}

/// The AES-GCM key from `CAIRN_SECRETS_KEY`.
async fn key(env: &Env) -> ApiResult<CryptoKey> {
    let configured = deployment_secret(env)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotConfigured,
                format!("this deployment has no {SECRETS_KEY} (32 random bytes, base64): `wrangler secret put {SECRETS_KEY}`"),
            )
        })?;
    let raw = STANDARD
        .decode(configured.trim())
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotConfigured,
                format!("{SECRETS_KEY} must be 32 bytes, base64-encoded"),
            )
        })?;
    let data = js_sys::Uint8Array::from(raw.as_slice());
    let usages = js_sys::Array::of2(&"encrypt".into(), &"decrypt".into());
    let algorithm = js_sys::Object::new();
    js_sys::Reflect::set(&algorithm, &"name".into(), &"AES-GCM".into()).map_err(js)?;
    let promise = subtle()?
        .import_key_with_object("raw", &data, &algorithm, false, &usages)
        .map_err(js)?;
    Ok(JsFuture::from(promise).await.map_err(js)?.unchecked_into())
}

fn params(iv: &[u8], aad: &str) -> AesGcmParams {
    let params = AesGcmParams::new_with_u8_array("AES-GCM", &js_sys::Uint8Array::from(iv));
    params.set_additional_data_u8_array(&js_sys::Uint8Array::from(aad.as_bytes()));
    params
}

/// Seals `plain` for `project`.
pub async fn seal(env: &Env, project: &str, plain: &str) -> ApiResult<String> {
    let key = key(env).await?;
    let iv = random_bytes(12)?;
    let promise = subtle()?
        .encrypt_with_object_and_u8_array(&params(&iv, project), &key, plain.as_bytes())
        .map_err(js)?;
    let sealed = js_sys::Uint8Array::new(&JsFuture::from(promise).await.map_err(js)?).to_vec();
    Ok(format!(
        "v1.{}.{}",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(sealed)
    ))
}

/// Opens what [`seal`] made for `project`.
pub async fn open(env: &Env, project: &str, sealed: &str) -> ApiResult<String> {
    let broken =
        || ApiError::internal("a sealed secret is damaged or was sealed under another key");
    let mut parts = sealed.split('.');
    let (Some("v1"), Some(iv), Some(body), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(broken());
    };
    let iv = URL_SAFE_NO_PAD.decode(iv).map_err(|_| broken())?;
    let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| broken())?;
    let key = key(env).await?;
    let promise = subtle()?
        .decrypt_with_object_and_u8_array(&params(&iv, project), &key, &body)
        .map_err(js)?;
    let plain = JsFuture::from(promise).await.map_err(|_| broken())?;
    String::from_utf8(js_sys::Uint8Array::new(&plain).to_vec()).map_err(|_| broken())
}

/// RSASSA-PKCS1-v1_5 with SHA-256 (JWS `RS256`), as a Web Crypto algorithm object.
fn rs256(extra: &[(&str, JsValue)]) -> ApiResult<js_sys::Object> {
    let algorithm = js_sys::Object::new();
    js_sys::Reflect::set(&algorithm, &"name".into(), &"RSASSA-PKCS1-v1_5".into()).map_err(js)?;
    js_sys::Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into()).map_err(js)?;
    for (k, v) in extra {
        js_sys::Reflect::set(&algorithm, &(*k).into(), v).map_err(js)?;
    }
    Ok(algorithm)
}

/// A new RS256 key pair (2048-bit): the public and the private key as JWK JSON.
pub async fn generate_rs256() -> ApiResult<(serde_json::Value, String)> {
    let exponent = js_sys::Uint8Array::from(&[1u8, 0, 1][..]);
    let algorithm = rs256(&[
        ("modulusLength", JsValue::from(2048)),
        ("publicExponent", exponent.into()),
    ])?;
    let usages = js_sys::Array::of2(&"sign".into(), &"verify".into());
    let promise = subtle()?
        .generate_key_with_object(&algorithm, true, &usages)
        .map_err(js)?;
    let pair = JsFuture::from(promise).await.map_err(js)?;
    let export = |name: &str| -> ApiResult<js_sys::Promise> {
        let key: CryptoKey = js_sys::Reflect::get(&pair, &name.into())
            .map_err(js)?
            .unchecked_into();
        subtle()?.export_key("jwk", &key).map_err(js)
    };
    let public = JsFuture::from(export("publicKey")?).await.map_err(js)?;
    let private = JsFuture::from(export("privateKey")?).await.map_err(js)?;
    let stringify = |v: &JsValue| -> ApiResult<String> {
        js_sys::JSON::stringify(v)
            .map_err(js)?
            .as_string()
            .ok_or_else(|| ApiError::internal("web crypto: a JWK did not stringify"))
    };
    let public: serde_json::Value = serde_json::from_str(&stringify(&public)?)?;
    Ok((public, stringify(&private)?))
}

/// The RS256 signature of `data` with the private JWK `private_jwk`.
pub async fn sign_rs256(private_jwk: &str, data: &[u8]) -> ApiResult<Vec<u8>> {
    let jwk: js_sys::Object = js_sys::JSON::parse(private_jwk)
        .map_err(js)?
        .unchecked_into();
    let usages = js_sys::Array::of1(&"sign".into());
    let promise = subtle()?
        .import_key_with_object("jwk", &jwk, &rs256(&[])?, false, &usages)
        .map_err(js)?;
    let key: CryptoKey = JsFuture::from(promise).await.map_err(js)?.unchecked_into();
    let promise = subtle()?
        .sign_with_str_and_u8_array("RSASSA-PKCS1-v1_5", &key, data)
        .map_err(js)?;
    Ok(js_sys::Uint8Array::new(&JsFuture::from(promise).await.map_err(js)?).to_vec())
}
