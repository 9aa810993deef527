//! Real-shaped sipgate pushes for the load rounds: whole calls (newCall, answer, hangup) with
//! unique call ids, signed like sipgate signs them when the round checks signatures.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

/// The bench's own RSA-4096 key (PKCS#1 DER). It signs generated pushes so every body is
/// unique and valid; the listener is configured with its public half. Not a secret: it
/// vouches for nothing outside this harness.
const SIGNING_KEY: &[u8] = include_bytes!("../keys/bench-signing-key.rsa.der");
/// The public half, as `[listener] public_key` takes it.
pub const PUBLIC_KEY_PEM: &str = include_str!("../keys/bench-signing-key.pub.pem");

/// One request as it goes on the wire.
#[derive(Clone)]
pub struct Push {
    /// The form-encoded body.
    pub body: Bytes,
    /// The `X-Sipgate-Signature` value, when signed.
    pub signature: Option<String>,
}

/// The caller of generated call `n`: a number in the generated book when `known`, else one
/// from a range the book does not hold (so the lookup misses, switchboard prefixes included).
pub fn caller(n: usize, known: bool, book: usize) -> String {
    if known {
        format!("49211{:07}", 1_000_000 + n % book.max(1))
    } else {
        format!("49301{:07}", n % 10_000_000)
    }
}

/// The three pushes of one incoming call that is answered and hung up.
pub fn call(n: usize, run: &str, from: &str) -> [Bytes; 3] {
    let id = format!("{run}{n:012X}");
    // sipgate links a call's legs by xcid: each run needs its own, or calls of two runs with the
    // same number would become legs of one call.
    let run_bits = run.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let xcid = format!("{:016x}", run_bits ^ n as u64);
    let to = "4921155500";
    let new_call = format!(
        "event=newCall&direction=in&from={from}&to={to}&callId={id}&origCallId={id}\
         &user%5B%5D=Anna+Schmidt&userId%5B%5D=w0&fullUserId%5B%5D=1234567w0&xcid={xcid}"
    );
    let answer = format!(
        "event=answer&callId={id}&user=Anna+Schmidt&userId=w0&fullUserId=1234567w0\
         &from={from}&to={to}&direction=in&answeringNumber={to}&origCallId={id}&xcid={xcid}"
    );
    let hangup = format!(
        "event=hangup&cause=normalClearing&callId={id}&from={from}&to={to}&direction=in\
         &answeringNumber={to}&origCallId={id}&xcid={xcid}"
    );
    [new_call.into(), answer.into(), hangup.into()]
}

/// Signs bodies with the bench key on every core. RSA-4096 signing costs milliseconds per body
/// (a verify costs tens of microseconds), so this is the slow part of preparing a round.
pub fn sign_all(bodies: Vec<Bytes>) -> anyhow::Result<Vec<Push>> {
    let key =
        RsaKeyPair::from_der(SIGNING_KEY).map_err(|e| anyhow::anyhow!("bench signing key: {e}"))?;
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = bodies.len().div_ceil(threads).max(1);
    let signed = std::thread::scope(|scope| {
        let workers: Vec<_> = bodies
            .chunks(chunk)
            .map(|part| {
                let key = &key;
                scope.spawn(move || {
                    let rng = SystemRandom::new();
                    let mut signature = vec![0; key.public().modulus_len()];
                    part.iter()
                        .map(|body| {
                            key.sign(&RSA_PKCS1_SHA256, &rng, body, &mut signature)
                                .map_err(|_| anyhow::anyhow!("signing failed"))?;
                            Ok(Push {
                                body: body.clone(),
                                signature: Some(BASE64.encode(&signature)),
                            })
                        })
                        .collect::<anyhow::Result<Vec<_>>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().map_err(|_| anyhow::anyhow!("signer panicked"))?)
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    Ok(signed.into_iter().flatten().collect())
}

/// Bodies left unsigned, for rounds with the signature check off.
pub fn unsigned(bodies: Vec<Bytes>) -> Vec<Push> {
    bodies
        .into_iter()
        .map(|body| Push {
            body,
            signature: None,
        })
        .collect()
}
