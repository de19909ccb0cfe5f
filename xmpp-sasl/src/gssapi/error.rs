//! [`GssapiError`], what went wrong in a GSSAPI exchange, and how GSS-API status codes become
//! RFC 6120 SASL conditions.

use libgssapi::error::MajorFlags;

use crate::condition::SaslCondition;
use crate::failure::{Cause, Failure};
use crate::gssapi::layers::LayerError;

/// What went wrong in a GSSAPI exchange (the precise [`Cause`] of a [`Failure`]; local
/// information, never sent to the peer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GssapiError {
    /// A GSS-API call failed: its status codes and the library's text for them.
    #[error("{call}: {message} (major {major:#010x}, minor {minor})")]
    Gss {
        /// The call (`gss_accept_sec_context`, ...).
        call: &'static str,
        /// The major status.
        major: u32,
        /// The minor (mechanism) status.
        minor: u32,
        /// What the library says about them.
        message: String,
    },
    /// The established context is not Kerberos V5 (RFC 4752 is the Kerberos V5 mechanism).
    #[error("the security context is not Kerberos V5")]
    NotKerberos,
    /// The client's context does not authenticate the server (no mutual authentication).
    #[error("the security context does not authenticate the server (no mutual authentication)")]
    NoMutualAuthentication,
    /// The context cannot protect the integrity of the security-layer messages.
    #[error("the security context provides no integrity protection")]
    NoIntegrity,
    /// A security-layer message does not follow RFC 4752.
    #[error("security-layer message: {0}")]
    Layer(#[from] LayerError),
    /// The server does not offer "no security layer", the only one this crate uses (TLS
    /// protects the stream).
    #[error("the server offers security layers {0:#04x}, without the no-layer option")]
    NoAcceptableLayer(u8),
    /// The client selected a layer the server did not offer.
    #[error("the client selected security layer {0:#04x}, which was not offered")]
    LayerNotOffered(u8),
    /// The principal is not one that may log in ([`PrincipalMapping`]).
    ///
    /// [`PrincipalMapping`]: crate::gssapi::PrincipalMapping
    #[error("principal `{0}` is not mapped to an account")]
    PrincipalNotMapped(String),
    /// The client authenticated to a principal that is not this XMPP service.
    #[error("the client authenticated to `{0}`, not to this XMPP service")]
    WrongService(String),
    /// A peer's name could not be read or parsed.
    #[error("unreadable principal name: {0}")]
    BadName(String),
    /// A token was empty where the exchange needs one, or present where it needs none.
    #[error("{0}")]
    Token(&'static str),
}

/// MIT krb5's com_err codes (`krb5.h`) that deserve a condition of their own.
const KRB5_ERR_BASE: i32 = -1_765_328_384;
/// `KRB5KRB_AP_ERR_TKT_EXPIRED`: the service ticket has expired.
const KRB5_TKT_EXPIRED: i32 = KRB5_ERR_BASE + 32;
/// `KRB5_KT_NOTFOUND`: the keytab has no key for the principal.
const KRB5_KT_NOTFOUND: i32 = -1_765_328_203;
/// `KRB5_KT_KVNONOTFOUND`: the keytab lacks that key version.
const KRB5_KT_KVNONOTFOUND: i32 = -1_765_328_154;
/// `ENOENT`: a file (the keytab) does not exist.
const ENOENT: i32 = 2;

/// The routine-error field of a major status (RFC 2744 §3.9.1).
const ROUTINE_MASK: u32 = 0x00ff_0000;

/// The SASL condition for a failed GSS-API call on a peer's token or on our own credentials:
/// a token that is not one (`malformed-request`), expired credentials
/// (`credentials-expired`), a server without its key (`temporary-auth-failure`), and
/// `not-authorized` for every other refusal (bad integrity, replays, wrong keys).
pub(crate) fn condition(major: u32, minor: u32) -> SaslCondition {
    let routine = major & ROUTINE_MASK;
    let is = |flag: MajorFlags| routine == flag.bits();
    // The minor code is an MIT com_err code, a signed `krb5_error_code` sent as unsigned.
    let minor = minor as i32;
    if is(MajorFlags::GSS_S_DEFECTIVE_TOKEN) || is(MajorFlags::GSS_S_BAD_MECH) {
        SaslCondition::MalformedRequest
    } else if is(MajorFlags::GSS_S_CREDENTIALS_EXPIRED)
        || is(MajorFlags::GSS_S_CONTEXT_EXPIRED)
        || minor == KRB5_TKT_EXPIRED
    {
        SaslCondition::CredentialsExpired
    } else if is(MajorFlags::GSS_S_NO_CRED)
        || is(MajorFlags::GSS_S_UNAVAILABLE)
        || [KRB5_KT_NOTFOUND, KRB5_KT_KVNONOTFOUND, ENOENT].contains(&minor)
    {
        SaslCondition::TemporaryAuthFailure
    } else {
        SaslCondition::NotAuthorized
    }
}

/// The failure for a failed GSS-API call.
pub(crate) fn gss_failure(call: &'static str, e: libgssapi::error::Error) -> Failure {
    let (major, minor) = (e.major.bits(), e.minor);
    let message = e.to_string().trim().to_owned();
    Failure::new(
        condition(major, minor),
        Cause::Gssapi(GssapiError::Gss {
            call,
            major,
            minor,
            message,
        }),
    )
}

/// A failure with this condition and GSSAPI cause.
pub(crate) fn failure(condition: SaslCondition, error: GssapiError) -> Failure {
    Failure::new(condition, Cause::Gssapi(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn major(flag: MajorFlags) -> u32 {
        flag.bits()
    }

    #[test]
    fn routine_errors_become_conditions() {
        use SaslCondition::*;
        for (flag, expected) in [
            (MajorFlags::GSS_S_DEFECTIVE_TOKEN, MalformedRequest),
            (MajorFlags::GSS_S_BAD_MECH, MalformedRequest),
            (MajorFlags::GSS_S_CREDENTIALS_EXPIRED, CredentialsExpired),
            (MajorFlags::GSS_S_CONTEXT_EXPIRED, CredentialsExpired),
            (MajorFlags::GSS_S_NO_CRED, TemporaryAuthFailure),
            (MajorFlags::GSS_S_UNAVAILABLE, TemporaryAuthFailure),
            (MajorFlags::GSS_S_BAD_SIG, NotAuthorized),
            (MajorFlags::GSS_S_DEFECTIVE_CREDENTIAL, NotAuthorized),
            (MajorFlags::GSS_S_FAILURE, NotAuthorized),
            (MajorFlags::GSS_S_BAD_NAME, NotAuthorized),
        ] {
            assert_eq!(condition(major(flag), 0), expected, "{flag:?}");
        }
        // Routine errors are numbers, not bits: BAD_NAME (2) shares bits with NO_CRED (7) and is
        // still not a missing key; supplementary bits do not change the routine error.
        assert_eq!(
            condition(major(MajorFlags::GSS_S_BAD_NAME), 0),
            SaslCondition::NotAuthorized
        );
        let with_supplementary =
            major(MajorFlags::GSS_S_DEFECTIVE_TOKEN) | major(MajorFlags::GSS_S_DUPLICATE_TOKEN);
        assert_eq!(
            condition(with_supplementary, 0),
            SaslCondition::MalformedRequest
        );
    }

    #[test]
    fn kerberos_minor_codes_refine_a_general_failure() {
        let failure = major(MajorFlags::GSS_S_FAILURE);
        assert_eq!(
            condition(failure, KRB5_TKT_EXPIRED as u32),
            SaslCondition::CredentialsExpired
        );
        for missing_key in [KRB5_KT_NOTFOUND, KRB5_KT_KVNONOTFOUND, ENOENT] {
            assert_eq!(
                condition(failure, missing_key as u32),
                SaslCondition::TemporaryAuthFailure
            );
        }
        // KRB5KRB_AP_ERR_BAD_INTEGRITY: a tampered or wrongly keyed token.
        assert_eq!(
            condition(failure, (KRB5_ERR_BASE + 31) as u32),
            SaslCondition::NotAuthorized
        );
    }
}
