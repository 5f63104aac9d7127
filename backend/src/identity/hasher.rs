//! Password hashing with bounded CPU and memory: a fixed set of worker threads, each owning
//! argon2's working memory (19 MiB with the default parameters) allocated once and reused for
//! every hash, fed by a bounded queue.
//!
//! argon2id costs about 19 MiB and tens of milliseconds of one core per password. Run on the
//! shared blocking pool with nothing in front, a burst of sign-ins used to reserve a fresh
//! 19 MiB per request (gigabytes, kept by the allocator afterwards), occupy every core, and
//! hold up static files, which share that pool. Here at most `workers` hashes run at once, at
//! most `queue` wait, and anything beyond is refused at once with [`HashError::Busy`] (503
//! `server_busy`). Memory is `workers` × 19 MiB at most, whatever the load.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use tokio::sync::oneshot;

/// Why a hash could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every worker is busy and the queue is full: try again later.
    #[error("too many passwords are being checked; try again later")]
    Busy,
    /// The stored hash cannot be read, or argon2 refused its parameters.
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// What a worker is asked to do.
enum Work {
    /// Hash a new password; answers the PHC string.
    Hash(String),
    /// Check a password against a stored PHC string; answers whether it matches.
    Verify { password: String, stored: String },
}

/// A worker's answer.
enum Answer {
    Hashed(String),
    Verified(bool),
}

/// One queued request and where its answer goes.
struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Answer, HashError>>,
}

/// Handle to the hashing workers. Cheap to clone; the workers stop once every handle is gone.
#[derive(Clone)]
pub struct Hasher {
    /// The queue's sending end; `try_send` refuses when `queue` jobs already wait.
    jobs: SyncSender<Job>,
}

impl Hasher {
    /// Starts `workers` threads (at least one) behind a queue of `queue` waiting jobs.
    pub fn start(workers: usize, queue: usize) -> Self {
        let (jobs, receiver) = mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..workers.max(1) {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("hasher-{i}"))
                .spawn(move || work(&receiver));
            if let Err(e) = spawned {
                tracing::error!(error = %e, worker = i, "cannot start a password hashing thread");
            }
        }
        Self { jobs }
    }

    /// The argon2id PHC string of a new password, with a fresh salt.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        match self.submit(Work::Hash(password)).await? {
            Answer::Hashed(phc) => Ok(phc),
            Answer::Verified(_) => Err(HashError::Failed("unexpected answer".into())),
        }
    }

    /// Whether `password` matches the stored PHC string.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, HashError> {
        match self.submit(Work::Verify { password, stored }).await? {
            Answer::Verified(ok) => Ok(ok),
            Answer::Hashed(_) => Err(HashError::Failed("unexpected answer".into())),
        }
    }

    async fn submit(&self, work: Work) -> Result<Answer, HashError> {
        let (reply, answer) = oneshot::channel();
        match self.jobs.try_send(Job { work, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(HashError::Busy),
            Err(TrySendError::Disconnected(_)) => {
                return Err(HashError::Failed("no hashing thread is running".into()))
            }
        }
        answer
            .await
            .map_err(|_| HashError::Failed("the hashing thread stopped".into()))?
    }
}

/// A worker's loop: takes jobs until every [`Hasher`] is dropped, reusing one working memory.
fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // Only the waiting is under the lock; the hashing is not.
        let job = {
            let Ok(receiver) = receiver.lock() else {
                return;
            };
            receiver.recv()
        };
        let Ok(job) = job else {
            return;
        };
        // Its requester went away (the client hung up): nobody needs the answer.
        if job.reply.is_closed() {
            continue;
        }
        let answer = match job.work {
            Work::Hash(password) => hash(&password, &mut memory).map(Answer::Hashed),
            Work::Verify { password, stored } => {
                verify(&password, &stored, &mut memory).map(Answer::Verified)
            }
        };
        let _ = job.reply.send(answer);
    }
}

/// argon2id with the crate's default (OWASP) parameters into `memory`, as a PHC string.
fn hash(password: &str, memory: &mut Vec<Block>) -> Result<String, HashError> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut raw_salt = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut raw_salt).map_err(failed)?;
    let out = compute(password, raw_salt, &params, memory)?;
    let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(out);
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str(),
        encoded
    ))
}

/// Recomputes the stored hash's parameters and salt over `password` and compares in constant
/// time.
fn verify(password: &str, stored: &str, memory: &mut Vec<Block>) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(stored).map_err(failed)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(HashError::Failed(
            "the stored hash has no salt or output".into(),
        ));
    };
    // The parameters it was made with, its output length included.
    let params = Params::try_from(&parsed).map_err(failed)?;
    let mut raw_salt = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut raw_salt).map_err(failed)?;
    let out = compute(password, raw_salt, &params, memory)?;
    let computed = Output::new(&out).map_err(failed)?;
    // `Output`'s equality is constant-time.
    Ok(computed == expected)
}

/// argon2id into `memory`, grown to what `params` need and kept for the next hash.
fn compute(
    password: &str,
    salt: &[u8],
    params: &Params,
    memory: &mut Vec<Block>,
) -> Result<Vec<u8>, HashError> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..blocks])
        .map_err(failed)?;
    Ok(out)
}

fn failed(e: impl std::fmt::Display) -> HashError {
    HashError::Failed(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[tokio::test]
    async fn hashes_verify_both_ways_with_the_crate() {
        let hasher = Hasher::start(1, 4);
        let ours = hasher.hash("correct horse".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"battery staple", &salt)
            .unwrap()
            .to_string();
        assert!(hasher
            .verify("battery staple".into(), theirs.clone())
            .await
            .unwrap());
        assert!(!hasher.verify("wrong".into(), theirs).await.unwrap());
        assert!(!hasher.verify("wrong".into(), ours).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once() {
        let hasher = Hasher::start(1, 1);
        let tries: Vec<_> = (0..8)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash("password1".into()).await })
            })
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for t in tries {
            match t.await.unwrap() {
                Err(HashError::Busy) => busy += 1,
                Ok(_) => done += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(busy >= 1 && done >= 1, "busy {busy}, done {done}");
    }
}
