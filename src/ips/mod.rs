//! The IPS SOAP face (§7): `POST /scene7/services/IpsApiService`.
//!
//! `Ips::handle` takes a request body and the HTTP Basic credentials, reads
//! the envelope (`soap`), authenticates the caller (`authHeader` in any IpsApi
//! namespace, or Basic), checks the caller's role for the operation (§7.6),
//! runs one function per operation (`ops`) against the catalog, and answers
//! with a response or a fault envelope with the documented code. It never
//! renders pixels and never speaks HTTP beyond the status it returns.

mod assets;
mod ops;
pub mod soap;
pub mod xml;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use crate::catalog::{BlobStore, Catalog, Role, User};
use soap::{Fault, SoapVersion};

/// Our WSDL for the operations implemented here.
pub const WSDL: &str = include_str!("IpsApi-2013-02-15.wsdl");

/// Catalog changes an IPS call made, for the render cache to forget.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Assets whose renders are stale (changed, deleted, or derived from one).
    pub assets: Vec<i64>,
}

/// The answer to one IPS request.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub changes: Changes,
}

/// Hashes a password for storage (argon2id, random salt, PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// The IPS service.
pub struct Ips {
    catalog: Arc<dyn Catalog>,
    blobs: Arc<BlobStore>,
    xml_limits: xml::XmlLimits,
    /// Passwords already verified, by e-mail: (stored hash, SHA-256 of the
    /// password). Argon2 costs tens of milliseconds; a repeat caller skips it.
    verified: Mutex<HashMap<String, (String, [u8; 32])>>,
}

/// The caller of an operation, authenticated.
pub struct Caller {
    pub user: User,
}

/// Roles that may call each operation (§7.6 and the operation pages).
fn allowed_roles(operation: &str) -> &'static [Role] {
    use Role::*;
    const WRITERS: &[Role] = &[
        IpsUser,
        IpsAdmin,
        IpsCompanyAdmin,
        ImagePortalAdmin,
        ImagePortalContrib,
        ImagePortalContribUser,
    ];
    const READERS: &[Role] = &[
        IpsUser,
        IpsAdmin,
        IpsCompanyAdmin,
        WebServiceUser,
        TrialSiteAdmin,
        TrialSiteUser,
        ImagePortalAdmin,
        ImagePortalUser,
        ImagePortalContrib,
        ImagePortalContribUser,
    ];
    match operation {
        "createDerivedAsset" | "setUrlModifier" | "deleteAsset" | "deleteAssets" | "copyImage"
        | "createTemplate" | "createFolder" => WRITERS,
        "getAssets"
        | "getAssetsByName"
        | "searchAssets"
        | "getAssociatedAssets"
        | "getCompanyInfo"
        | "getFolders"
        | "checkLogin" => READERS,
        "addCompany" => &[IpsAdmin, TrialSiteAdmin, ImagePortalAdmin],
        "addUser" => &[IpsAdmin, IpsCompanyAdmin, ImagePortalAdmin],
        _ => &[],
    }
}

impl Ips {
    pub fn new(catalog: Arc<dyn Catalog>, blobs: Arc<BlobStore>) -> Ips {
        Ips {
            catalog,
            blobs,
            xml_limits: xml::XmlLimits::default(),
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// Answers one request. `basic` holds HTTP Basic credentials, if sent.
    pub fn handle(&self, body: &[u8], basic: Option<(String, String)>) -> Reply {
        let request = match soap::parse_request(body, self.xml_limits) {
            Ok(r) => r,
            Err(fault) => return self.fault_reply(SoapVersion::V11, None, &fault),
        };
        let status = request.auth.as_ref().and_then(|a| a.fault_http_status);
        match self.dispatch(&request, basic) {
            Ok((inner, changes)) => Reply {
                status: 200,
                content_type: request.version.content_type(),
                body: soap::response(&request, &inner),
                changes,
            },
            Err(fault) => self.fault_reply(request.version, status, &fault),
        }
    }

    fn fault_reply(&self, version: SoapVersion, status: Option<u16>, fault: &Fault) -> Reply {
        tracing::info!(code = fault.code, reason = %fault.reason, "IPS fault");
        Reply {
            status: status.filter(|s| (200..600).contains(s)).unwrap_or(500),
            content_type: version.content_type(),
            body: soap::fault(version, fault),
            changes: Changes::default(),
        }
    }

    fn dispatch(
        &self,
        request: &soap::Request,
        basic: Option<(String, String)>,
    ) -> Result<(String, Changes), Fault> {
        let op = request.operation.as_str();
        let roles = allowed_roles(op);
        if roles.is_empty() {
            return Err(Fault::invalid_xml(format!(
                "operation '{op}' is not supported by this server"
            )));
        }
        let caller = self.authenticate(request.auth.as_ref(), basic)?;
        if !roles.contains(&caller.user.role) {
            return Err(Fault::no_permission(op));
        }
        let ctx = ops::Context {
            catalog: self.catalog.as_ref(),
            blobs: self.blobs.as_ref(),
            caller: &caller,
            param: &request.param,
        };
        ops::run(op, &ctx, self)
    }

    fn authenticate(
        &self,
        header: Option<&soap::AuthHeader>,
        basic: Option<(String, String)>,
    ) -> Result<Caller, Fault> {
        let from_header = header.and_then(|h| match (&h.user, &h.password) {
            (Some(u), Some(p)) if !u.is_empty() => Some((u.clone(), p.clone())),
            _ => None,
        });
        let (email, password) = from_header.or(basic).ok_or_else(Fault::no_credentials)?;
        let user = self
            .check_credentials(&email, &password)
            .map_err(|e| Fault::exception(e.to_string()))?
            .ok_or_else(Fault::invalid_credentials)?;
        Ok(Caller { user })
    }

    /// The user, when the e-mail and password match.
    pub fn check_credentials(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<User>, crate::catalog::CatalogError> {
        let Some(user) = self.catalog.user_by_email(email)? else {
            return Ok(None);
        };
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        let cached = self
            .verified
            .lock()
            .map(|m| m.get(email) == Some(&(user.password_hash.clone(), digest)))
            .unwrap_or(false);
        if cached {
            return Ok(Some(user));
        }
        if !verify_password(password, &user.password_hash) {
            return Ok(None);
        }
        if let Ok(mut m) = self.verified.lock() {
            m.insert(email.to_owned(), (user.password_hash.clone(), digest));
        }
        Ok(Some(user))
    }
}
