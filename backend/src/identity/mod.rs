//! Identity: who owns a name, and the session tokens that prove it.
//!
//! Claiming a free name creates its account and a session; the answer carries the session's
//! secret token. A name claimed with a password can be signed in to again from elsewhere; one
//! claimed without is held by its tokens alone: signing out never gives it away, its sessions
//! last at least `--release-names-after-days`, and a password can be added to it later. Only
//! after that long unused may its name be claimed again, and then by a new account.
//! Tokens are 256 random bits; only their SHA-256 is stored, and they never reach a log.
//! A session expires when unused for the session time to live; every use extends it.
//!
//! Under attack: passwords are hashed by [`Hasher`] (bounded threads, memory and queue), and
//! [`Attempts`] limits password attempts per name and per client address, and account
//! creations per address.
//!
//! New accounts and sessions are stored in batches by [`SignIns`] (one transaction for many
//! sign-ins at once), after everything else was checked and any password hashed.

mod attempts;
mod hasher;
mod sign_ins;

pub use attempts::{address_key, AttemptLimits, Attempts, Limit, Refused};
pub use hasher::{HashError, Hasher};
pub use sign_ins::SignIns;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use sha2::{Digest, Sha256};
use shared::api::SessionRequest;
use shared::limits::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use shared::{NameError, RoomName, RoomSettings, UserName};

use crate::clock::now_ms;
use crate::config::Config;
use crate::store::{
    Account, NewSession, SessionId, SessionRecord, SessionWrite, Store, StoreError,
};
use crate::tasks::Tasks;

/// The longest `User-Agent` kept with a session, in characters.
const MAX_USER_AGENT_CHARS: usize = 256;
/// A session's `last_used_at` is written at most this often (or a tenth of the time to live,
/// if shorter), so using a session is mostly a read.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// A session token. Its `Debug` hides it, so it cannot be logged by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub(crate) fn generate() -> Self {
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
    /// Whether its account has a password.
    pub has_password: bool,
}

/// The id a session is listed and revoked by: derived from its stored id, so that neither the
/// token nor its stored hash leaves the server.
pub fn public_id(id: &SessionId) -> String {
    let digest = Sha256::digest(format!("session:{}", id.0).as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Who is asking, as far as the HTTP request tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address (behind a trusted proxy, the one it forwarded).
    pub address: IpAddr,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

/// The outcome of a successful claim.
#[derive(Debug)]
pub struct Claim {
    pub name: UserName,
    pub token: Token,
    /// True when the name was free and is now the caller's; false for a sign-in.
    pub created: bool,
    /// Whether the account has a password.
    pub has_password: bool,
    /// A passwordless account unused for `--release-names-after-days`, deleted to free its
    /// name: the hub must forget it.
    pub released: Option<UserName>,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{0}")]
    InvalidName(#[from] NameError),
    #[error("a password must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")]
    InvalidPassword,
    #[error("the name belongs to someone else")]
    NameTaken,
    /// The name is free but looks like `like`, someone else's (the same confusable skeleton).
    #[error(
        "Names that look alike cannot both be taken: ‘{name}’ looks like ‘{like}’, which belongs \
         to someone else"
    )]
    NameConfusable { name: UserName, like: UserName },
    #[error("the password does not match")]
    WrongPassword,
    #[error("no valid session token")]
    Unauthorized,
    /// The account was disabled by an administrator: its sessions and password are refused.
    #[error("this account has been disabled by an administrator")]
    Disabled,
    #[error("the account has a password already")]
    PasswordSet,
    #[error("no session of yours has that id")]
    UnknownSession,
    #[error("too many attempts; try again in {} s", .0.as_secs())]
    TooManyAttempts(Duration),
    #[error("too many passwords are being checked; try again shortly")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl IdentityError {
    /// How long the client should wait before it tries again, for the errors that say so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::TooManyAttempts(wait) => Some(*wait),
            Self::Busy => Some(Duration::from_secs(1)),
            _ => None,
        }
    }
}

impl From<HashError> for IdentityError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => Self::Busy,
            HashError::Failed(e) => Self::Hashing(e),
        }
    }
}

impl From<Refused> for IdentityError {
    fn from(r: Refused) -> Self {
        Self::TooManyAttempts(r.retry_after)
    }
}

/// Cheap to clone handle over the store, the password hasher and the attempt limits, for the
/// HTTP handlers and the WebSocket upgrade.
#[derive(Clone)]
pub struct Identity {
    store: Arc<dyn Store>,
    hasher: Hasher,
    attempts: Arc<Attempts>,
    /// Where new accounts and sessions are stored, in batches.
    sign_ins: SignIns,
    /// How long an unused session lasts.
    ttl: Duration,
    /// How long a passwordless account must be unused before its name is released; its
    /// sessions last at least this long.
    release_after: Duration,
    /// The keys of the names `--admin` gives: administrators besides those in the store.
    named_admins: Arc<[String]>,
}

impl Identity {
    /// Starts the hashing threads and the attempt tables that `config` describes, and the
    /// sign-in writer task in `tasks`.
    pub fn new(store: Arc<dyn Store>, config: &Config, tasks: &Tasks) -> Self {
        let limits = AttemptLimits {
            per_name: Limit {
                burst: config.name_attempts,
                per_hour: config.name_attempts_per_hour,
            },
            per_address: Limit {
                burst: config.address_attempts,
                per_hour: config.address_attempts_per_hour,
            },
            creations: Limit {
                burst: config.account_creations,
                per_hour: config.account_creations_per_hour,
            },
            table_size: usize::try_from(config.attempt_table_size).unwrap_or(usize::MAX),
        };
        Self {
            sign_ins: SignIns::start(store.clone(), tasks),
            store,
            hasher: Hasher::start(config.hash_workers(), config.hash_queue),
            attempts: Arc::new(Attempts::new(limits)),
            ttl: config.session_ttl(),
            release_after: config.release_names_after(),
            named_admins: config
                .admins
                .iter()
                .filter_map(|a| UserName::parse(a.trim()).ok())
                .map(|a| a.key())
                .collect(),
        }
    }

    /// Whether `name` is an administrator: named by `--admin`, or made one in the store
    /// (`chat-server admin grant`).
    pub async fn is_admin(&self, name: &UserName) -> Result<bool, StoreError> {
        let key = name.key();
        if self.named_admins.contains(&key) {
            return Ok(true);
        }
        self.store.is_admin(name).await
    }

    /// Whether the account `claim` opened a session of is an administrator: as
    /// [`Self::is_admin`], without asking the store for an account the claim just created
    /// (nothing made it one yet: `admin grant` takes an existing account).
    pub async fn claim_is_admin(&self, claim: &Claim) -> Result<bool, StoreError> {
        if claim.created {
            return Ok(self.named_admins.contains(&claim.name.key()));
        }
        self.is_admin(&claim.name).await
    }

    /// The settings of `room` as stored: those of a room whose owner's name was released
    /// (the release passed it on).
    pub async fn room(&self, room: &RoomName) -> Result<Option<RoomSettings>, StoreError> {
        self.store.room(room).await
    }

    /// Claims a free name, or signs in to a taken one whose password is given.
    pub async fn claim(
        &self,
        request: SessionRequest,
        client: &Client,
    ) -> Result<Claim, IdentityError> {
        let name = UserName::parse(&request.name)?;
        let password = request.password.filter(|p| !p.is_empty());
        // Before anything else, whether the name is taken or not: no stored password can
        // have another length, and nothing is hashed or counted for it.
        if let Some(p) = &password {
            let chars = p.chars().count();
            if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
                return Err(IdentityError::InvalidPassword);
            }
        }
        let token = Token::generate();
        let session = NewSession {
            id: token.session_id(),
            user_agent: client
                .user_agent
                .as_ref()
                .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect()),
            address: Some(client.address.to_string()),
        };
        if password.is_none() {
            // Most passwordless claims are of free names: straight to the batch, with nothing
            // read first. A taken name (perhaps to be released), or a refusal of the limit on
            // account creation (429 only for a free name), is looked at below, as before.
            if let Ok(taken) = self.attempts.create(client.address) {
                match self.create(&name, None, session.clone(), None).await {
                    Ok(()) => {
                        return Ok(Claim {
                            name,
                            token,
                            created: true,
                            has_password: false,
                            released: None,
                        })
                    }
                    Err(IdentityError::NameTaken) => self.attempts.give_back(taken),
                    Err(e) => {
                        self.attempts.give_back(taken);
                        return Err(e);
                    }
                }
            }
        }
        let mut released = None;
        let mut release = None;
        let account = match self.store.find_account(&name).await? {
            Some(account) => match self.releasable(&account).await? {
                Some(last_used) => {
                    // Unused for the release period: the name is free again. The old account
                    // goes in the transaction that creates the new one, if it is still
                    // unused then (`SessionWrite::Account::release`).
                    released = Some(account.name);
                    release = Some(last_used.saturating_add(1));
                    None
                }
                None => Some(account),
            },
            None => None,
        };
        let Some(account) = account else {
            let has_password = password.is_some();
            let taken = self.attempts.create(client.address)?;
            let created = self.create(&name, password, session, release).await;
            if created.is_err() {
                self.attempts.give_back(taken);
            }
            created?;
            return Ok(Claim {
                name,
                token,
                created: true,
                has_password,
                released,
            });
        };
        let (Some(given), Some(stored)) = (password, account.password_hash) else {
            return Err(IdentityError::NameTaken);
        };
        // Said only to whoever knows the password: a disabled account's name stays taken.
        let disabled = account.disabled;
        let taken = self.attempts.sign_in(&account.name.key(), client.address)?;
        let matches = match self.hasher.verify(given, stored).await {
            Ok(matches) => matches,
            Err(e) => {
                // Not an attempt: nothing was checked.
                self.attempts.give_back(taken);
                return Err(e.into());
            }
        };
        if !matches {
            tracing::info!(user = %account.name, address = %client.address, "wrong password");
            return Err(IdentityError::WrongPassword);
        }
        if disabled {
            self.attempts.give_back(taken);
            tracing::info!(user = %account.name, address = %client.address, "sign-in to a disabled account");
            return Err(IdentityError::Disabled);
        }
        self.attempts.give_back(taken);
        let write = SessionWrite::Session {
            name: account.name.clone(),
            session,
        };
        self.sign_ins.write(write).await?;
        Ok(Claim {
            name: account.name,
            token,
            created: false,
            has_password: true,
            released,
        })
    }

    /// Creates the account `name` (protected by `password`, if any) with its first session;
    /// `release`: in place of the released account that holds the name now, if it has been
    /// unused since before that time (see [`SessionWrite::Account`]). The password is hashed
    /// here, before the write joins a batch.
    async fn create(
        &self,
        name: &UserName,
        password: Option<String>,
        session: NewSession,
        release: Option<u64>,
    ) -> Result<(), IdentityError> {
        let password_hash = match password {
            Some(p) => Some(self.hasher.hash(p).await?),
            None => None,
        };
        let write = SessionWrite::Account {
            name: name.clone(),
            password_hash,
            session,
            release,
        };
        match self.sign_ins.write(write).await {
            Ok(()) => Ok(()),
            Err(StoreError::NameTaken) => Err(IdentityError::NameTaken),
            Err(StoreError::NameConfusable { like }) => Err(IdentityError::NameConfusable {
                name: name.clone(),
                like,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `account` has no password, no live session, and has been unused (no session
    /// used, none ended) for the release period: then when it was last used (ms since the
    /// epoch), and its name may go to someone else. An administrator's never is: whoever
    /// claimed it would be one (`--admin` names a name).
    async fn releasable(&self, account: &Account) -> Result<Option<u64>, IdentityError> {
        if account.password_hash.is_some() || account.disabled {
            return Ok(None);
        }
        if self.is_admin(&account.name).await? {
            return Ok(None);
        }
        let now = now_ms();
        let sessions = self.store.sessions_of(&account.name).await?;
        if sessions
            .iter()
            .any(|s| !self.expired(account, s.last_used_at, now))
        {
            return Ok(None);
        }
        let last_used = sessions
            .iter()
            .map(|s| s.last_used_at)
            .fold(account.last_used_at, u64::max);
        Ok((now.saturating_sub(last_used) >= millis(self.release_after)).then_some(last_used))
    }

    /// How long an unused session of `account` lasts: a passwordless one, whose device holds
    /// the only key, at least as long as the release period.
    fn ttl_of(&self, account: &Account) -> Duration {
        if account.password_hash.is_none() {
            self.ttl.max(self.release_after)
        } else {
            self.ttl
        }
    }

    fn expired(&self, account: &Account, last_used_at: u64, now: u64) -> bool {
        now.saturating_sub(last_used_at) > millis(self.ttl_of(account))
    }

    /// The session a token proves, if it has not expired; the use extends it.
    pub async fn authenticate(&self, token: &Token) -> Result<Session, IdentityError> {
        let id = token.session_id();
        let Some(owner) = self.store.find_session(&id).await? else {
            return Err(IdentityError::Unauthorized);
        };
        let now = now_ms();
        if self.expired(&owner.account, owner.last_used_at, now) {
            // The token is dead for good: forget it. (The account stays; a passwordless one
            // is released when its name is claimed after the release period.)
            self.store.delete_session(&id, &owner.account.name).await?;
            return Err(IdentityError::Unauthorized);
        }
        if owner.account.disabled {
            // Kept, not deleted: enabled again, the account's devices sign in as before.
            return Err(IdentityError::Disabled);
        }
        let every = millis(TOUCH_EVERY.min(self.ttl_of(&owner.account) / 10));
        if now.saturating_sub(owner.last_used_at) >= every {
            self.store.touch_session(&id, now).await?;
        }
        Ok(Session {
            id,
            has_password: owner.account.password_hash.is_some(),
            name: owner.account.name,
        })
    }

    /// Ends the session. The account stays, with or without a password.
    pub async fn sign_out(&self, token: &Token) -> Result<Session, IdentityError> {
        let session = self.authenticate(token).await?;
        self.store
            .delete_session(&session.id, &session.name)
            .await?;
        Ok(session)
    }

    /// Protects the token owner's passwordless account with `password`, so that it can be
    /// signed in to from elsewhere. An account that has a password keeps it:
    /// [`IdentityError::PasswordSet`].
    pub async fn set_password(
        &self,
        token: &Token,
        password: String,
    ) -> Result<Session, IdentityError> {
        let session = self.authenticate(token).await?;
        let chars = password.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            return Err(IdentityError::InvalidPassword);
        }
        let has_one = self
            .store
            .find_account(&session.name)
            .await?
            .is_some_and(|a| a.password_hash.is_some());
        if has_one {
            return Err(IdentityError::PasswordSet);
        }
        let hash = self.hasher.hash(password).await?;
        // Two requests at once: the first one stored wins.
        if !self.store.set_password(&session.name, &hash).await? {
            return Err(IdentityError::PasswordSet);
        }
        Ok(Session {
            has_password: true,
            ..session
        })
    }

    /// The live sessions of the token's owner, oldest first, and the token's own session.
    pub async fn sessions(
        &self,
        token: &Token,
    ) -> Result<(Session, Vec<SessionRecord>), IdentityError> {
        let session = self.authenticate(token).await?;
        let now = now_ms();
        let account = self.store.find_account(&session.name).await?;
        let mut sessions = self.store.sessions_of(&session.name).await?;
        sessions.retain(|s| {
            s.id == session.id
                || account
                    .as_ref()
                    .is_some_and(|a| !self.expired(a, s.last_used_at, now))
        });
        Ok((session, sessions))
    }

    /// Ends the session of the token's owner whose [`public_id`] is `public`. Returns it and
    /// its owner; the account stays.
    pub async fn revoke(&self, token: &Token, public: &str) -> Result<Session, IdentityError> {
        let own = self.authenticate(token).await?;
        let sessions = self.store.sessions_of(&own.name).await?;
        let Some(revoked) = sessions.into_iter().find(|s| public_id(&s.id) == public) else {
            return Err(IdentityError::UnknownSession);
        };
        self.store.delete_session(&revoked.id, &own.name).await?;
        Ok(Session {
            id: revoked.id,
            name: own.name,
            has_password: own.has_password,
        })
    }
}

/// `d` in whole milliseconds, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
