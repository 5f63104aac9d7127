//! Identity: who owns a name, and the session tokens that prove it.
//!
//! Claiming a free name creates its account and a session; the answer carries the session's
//! secret token. A name claimed with a password can be signed in to again from elsewhere; one
//! claimed without is held by its tokens alone, and is released when its last session ends.
//! Tokens are 256 random bits; only their SHA-256 is stored, and they never reach a log.

use std::fmt;
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use sha2::{Digest, Sha256};
use shared::api::SessionRequest;
use shared::limits::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use shared::{NameError, UserName};

use crate::store::{SessionId, Store, StoreError};

/// A session token. Its `Debug` hides it, so it cannot be logged by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source works");
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form: hex SHA-256.
    pub fn session_id(&self) -> SessionId {
        let digest = Sha256::digest(self.0.as_bytes());
        SessionId(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub name: UserName,
}

/// The outcome of a successful claim.
#[derive(Debug)]
pub struct Claim {
    pub name: UserName,
    pub token: Token,
    /// True when the name was free and is now the caller's; false for a sign-in.
    pub created: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{0}")]
    InvalidName(#[from] NameError),
    #[error("a password must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")]
    InvalidPassword,
    #[error("the name belongs to someone else")]
    NameTaken,
    #[error("the password does not match")]
    WrongPassword,
    #[error("no valid session token")]
    Unauthorized,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Cheap to clone handle over the store, for the HTTP handlers and the WebSocket upgrade.
#[derive(Clone)]
pub struct Identity {
    store: Arc<dyn Store>,
}

impl Identity {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Claims a free name, or signs in to a taken one whose password is given.
    pub async fn claim(&self, request: SessionRequest) -> Result<Claim, IdentityError> {
        let name = UserName::parse(&request.name)?;
        let password = request.password.filter(|p| !p.is_empty());
        if let Some(p) = &password {
            let chars = p.chars().count();
            if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
                return Err(IdentityError::InvalidPassword);
            }
        }
        let token = Token::generate();
        let session = token.session_id();
        let Some(account) = self.store.find_account(&name).await? else {
            // A new name: the account and its first session in one transaction.
            let hash = match &password {
                Some(p) => Some(hash_password(p.clone()).await?),
                None => None,
            };
            return match self
                .store
                .create_account(&name, hash.as_deref(), Some(&session))
                .await
            {
                Ok(()) => Ok(Claim {
                    name,
                    token,
                    created: true,
                }),
                Err(StoreError::NameTaken) => Err(IdentityError::NameTaken),
                Err(e) => Err(e.into()),
            };
        };
        let (Some(given), Some(stored)) = (password, account.password_hash) else {
            return Err(IdentityError::NameTaken);
        };
        if !verify_password(given, stored).await? {
            return Err(IdentityError::WrongPassword);
        }
        self.store.create_session(&session, &account.name).await?;
        Ok(Claim {
            name: account.name,
            token,
            created: false,
        })
    }

    /// The session a token proves.
    pub async fn authenticate(&self, token: &Token) -> Result<Session, IdentityError> {
        let id = token.session_id();
        match self.store.find_session(&id).await? {
            Some(account) => Ok(Session {
                id,
                name: account.name,
            }),
            None => Err(IdentityError::Unauthorized),
        }
    }

    /// Ends the session; a name without a password is released with its last session.
    /// Returns the session and whether its name was released.
    pub async fn sign_out(&self, token: &Token) -> Result<(Session, bool), IdentityError> {
        let id = token.session_id();
        let Some(account) = self.store.find_session(&id).await? else {
            return Err(IdentityError::Unauthorized);
        };
        let left = self.store.delete_session(&id, &account.name).await?;
        let released = left == 0 && account.password_hash.is_none();
        if released {
            self.store.delete_account(&account.name).await?;
        }
        let session = Session {
            id,
            name: account.name,
        };
        Ok((session, released))
    }
}

/// argon2id with the crate's default (OWASP) parameters, off the async threads.
async fn hash_password(password: String) -> Result<String, IdentityError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| IdentityError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| IdentityError::Hashing(e.to_string()))?
}

async fn verify_password(password: String, stored: String) -> Result<bool, IdentityError> {
    tokio::task::spawn_blocking(move || {
        let parsed =
            PasswordHash::new(&stored).map_err(|e| IdentityError::Hashing(e.to_string()))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| IdentityError::Hashing(e.to_string()))?
}
