//! The crate's one error type.

use std::net::SocketAddr;

/// Everything that can go wrong when configuring or starting the site.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// A parameter is out of range; names the option as the user typed it.
    #[error("invalid value '{value}' for '{option}': {reason}")]
    InvalidParam {
        /// The option, for example `--workers`.
        option: String,
        /// The value that was given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An option set by name ([`crate::SiteParams::set`]) is unknown or its value is
    /// refused; `reason` is clap's.
    #[error("site option '{option}': {reason}")]
    Option {
        /// The option's name, for example `workers`.
        option: String,
        /// clap's reason, on one line.
        reason: String,
    },
    /// The listening socket could not be bound (port in use, bad address...).
    #[error("cannot bind {addr}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The site's own runtime or thread could not be started.
    #[error("cannot start the site's runtime")]
    Runtime(#[source] std::io::Error),
}

impl SiteError {
    /// Renames the option of an [`SiteError::InvalidParam`] with a prefix, so a host
    /// program exposing `--site-workers` reports the option the user actually typed.
    #[must_use]
    pub fn with_option_prefix(self, prefix: &str) -> Self {
        match self {
            Self::InvalidParam {
                option,
                value,
                reason,
            } => Self::InvalidParam {
                option: format!("--{prefix}{}", option.trim_start_matches("--")),
                value,
                reason,
            },
            other => other,
        }
    }
}
