//! SOAP envelopes of the IPS API (§7.1–§7.4): reading a request, writing a
//! response or a fault.
//!
//! Both SOAP 1.1 and 1.2 envelopes are accepted and answered in kind. The body
//! holds one `{operation}Param` element in any IpsApi types namespace (§7.2),
//! and the response is written in that same namespace. `authHeader` is read
//! from the header in any IpsApi namespace, and the legacy `AuthUser` /
//! `AuthPassword` pair too. This module never looks at the operation's fields.

use super::xml::{self, Element, XmlLimits};

pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The unversioned IpsApi namespace of faults and `authHeader`.
pub const IPS_XSD: &str = "http://www.scene7.com/IpsApi/xsd";
/// The namespace of the legacy `AuthUser`/`AuthPassword` header.
pub const IPS_LEGACY: &str = "http://www.scene7.com/IpsApi";

/// Whether a namespace is one of the IpsApi types namespaces: the unversioned
/// one or a dated one such as `…/xsd/2008-01-15` or `…/xsd/2016-01-14-beta`.
pub fn is_ips_namespace(ns: &str) -> bool {
    match ns.strip_prefix(IPS_XSD) {
        Some("") => true,
        Some(rest) => rest.strip_prefix('/').is_some_and(|version| {
            version.len() >= 10
                && version.as_bytes()[..10].iter().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        *b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                })
                && version[10..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }),
        None => false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoapVersion {
    V11,
    V12,
}

impl SoapVersion {
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::V11 => SOAP11,
            SoapVersion::V12 => SOAP12,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            SoapVersion::V11 => "text/xml; charset=utf-8",
            SoapVersion::V12 => "application/soap+xml; charset=utf-8",
        }
    }
}

/// The fields of `authHeader` this server uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthHeader {
    pub user: Option<String>,
    pub password: Option<String>,
    pub app_name: Option<String>,
    pub app_version: Option<String>,
    pub fault_http_status: Option<u16>,
}

/// A parsed IPS request.
#[derive(Clone, Debug)]
pub struct Request {
    pub version: SoapVersion,
    /// The operation name: the body element's name without `Param`.
    pub operation: String,
    /// The types namespace the request used; the response uses it too.
    pub namespace: String,
    pub param: Element,
    pub auth: Option<AuthHeader>,
}

/// The three fault elements of §7.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    Authentication,
    Authorization,
    IpsApi,
}

impl FaultKind {
    fn element(self) -> &'static str {
        match self {
            FaultKind::Authentication => "authenticationFault",
            FaultKind::Authorization => "authorizationFault",
            FaultKind::IpsApi => "ipsApiFault",
        }
    }

    fn fault_string(self) -> &'static str {
        match self {
            FaultKind::Authentication => "AuthenticationException",
            FaultKind::Authorization => "AuthorizationException",
            FaultKind::IpsApi => "ipsApiFault",
        }
    }
}

/// An IPS fault with its documented code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code} {reason}")]
pub struct Fault {
    pub kind: FaultKind,
    pub code: u32,
    pub reason: String,
}

impl Fault {
    pub fn new(kind: FaultKind, code: u32, reason: impl Into<String>) -> Fault {
        Fault {
            kind,
            code,
            reason: reason.into(),
        }
    }

    /// 10000: no credentials.
    pub fn no_credentials() -> Fault {
        Fault::new(FaultKind::Authentication, 10000, "No credentials supplied")
    }

    /// 10001: wrong user name or password.
    pub fn invalid_credentials() -> Fault {
        Fault::new(
            FaultKind::Authentication,
            10001,
            "Invalid username/password",
        )
    }

    /// 20000: the company is not accessible to the caller.
    pub fn invalid_company(handle: &str) -> Fault {
        Fault::new(
            FaultKind::Authorization,
            20000,
            format!("Invalid company '{handle}'"),
        )
    }

    /// 20003: the caller's role may not call the operation.
    pub fn no_permission(operation: &str) -> Fault {
        Fault::new(
            FaultKind::Authorization,
            20003,
            format!("User does not have permission to access operation '{operation}'"),
        )
    }

    /// 30000: a generic failure, such as a name collision.
    pub fn exception(reason: impl Into<String>) -> Fault {
        Fault::new(FaultKind::IpsApi, 30000, reason)
    }

    /// 30001: a parameter has an invalid value.
    pub fn invalid_parameter(reason: impl Into<String>) -> Fault {
        Fault::new(FaultKind::IpsApi, 30001, reason)
    }

    /// 30002: a required parameter is missing.
    pub fn missing_parameter(name: &str) -> Fault {
        Fault::new(
            FaultKind::IpsApi,
            30002,
            format!("Missing required parameter '{name}'"),
        )
    }

    /// 30003: the request is not valid XML or not a SOAP request.
    pub fn invalid_xml(reason: impl Into<String>) -> Fault {
        Fault::new(FaultKind::IpsApi, 30003, reason)
    }

    /// Whether the client is at fault (SOAP `Client`/`Sender`).
    fn is_client(&self) -> bool {
        !(self.kind == FaultKind::IpsApi && self.code == 30000)
    }
}

/// Reads a SOAP request.
pub fn parse_request(body: &[u8], limits: XmlLimits) -> Result<Request, Fault> {
    let root = xml::parse(body, limits).map_err(|e| Fault::invalid_xml(e.to_string()))?;
    let version = match (root.name.as_str(), root.ns.as_str()) {
        ("Envelope", SOAP11) => SoapVersion::V11,
        ("Envelope", SOAP12) => SoapVersion::V12,
        _ => {
            return Err(Fault::invalid_xml(
                "the request is not a SOAP 1.1 or 1.2 Envelope",
            ));
        }
    };
    let in_envelope = |name: &str| {
        root.children
            .iter()
            .find(|c| c.name == name && c.ns == version.namespace())
    };
    let body = in_envelope("Body").ok_or_else(|| Fault::invalid_xml("the Envelope has no Body"))?;
    let param = body
        .children
        .first()
        .ok_or_else(|| Fault::invalid_xml("the Body is empty"))?;
    let operation = param
        .name
        .strip_suffix("Param")
        .filter(|op| !op.is_empty())
        .ok_or_else(|| {
            Fault::invalid_xml(format!(
                "'{}' is not an IPS operation parameter element",
                param.name
            ))
        })?;
    if !is_ips_namespace(&param.ns) {
        return Err(Fault::invalid_xml(format!(
            "'{}' is not in an IpsApi namespace",
            param.ns
        )));
    }
    let auth = in_envelope("Header").and_then(read_auth_header);
    Ok(Request {
        version,
        operation: operation.to_owned(),
        namespace: param.ns.clone(),
        param: param.clone(),
        auth,
    })
}

fn read_auth_header(header: &Element) -> Option<AuthHeader> {
    if let Some(h) = header
        .children
        .iter()
        .find(|c| c.name == "authHeader" && is_ips_namespace(&c.ns))
    {
        let text = |name: &str| h.child_text(name).map(|t| t.trim().to_owned());
        return Some(AuthHeader {
            user: text("user"),
            password: h.child_text("password").map(str::to_owned),
            app_name: text("appName"),
            app_version: text("appVersion"),
            fault_http_status: text("faultHttpStatusCode").and_then(|s| s.parse().ok()),
        });
    }
    // Before 3.8: AuthUser and AuthPassword header elements.
    let legacy = |name: &str| {
        header
            .children
            .iter()
            .find(|c| c.name == name && (c.ns == IPS_LEGACY || is_ips_namespace(&c.ns)))
            .map(|c| c.text.clone())
    };
    let user = legacy("AuthUser");
    let password = legacy("AuthPassword");
    (user.is_some() || password.is_some()).then(|| AuthHeader {
        user: user.map(|u| u.trim().to_owned()),
        password,
        ..AuthHeader::default()
    })
}

fn envelope(version: SoapVersion, body: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='utf-8'?>\n<soapenv:Envelope xmlns:soapenv=\"{}\"><soapenv:Header/><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>",
        version.namespace()
    )
}

/// A response envelope around `{operation}Return` in the request's namespace.
pub fn response(request: &Request, inner_xml: &str) -> String {
    let name = format!("{}Return", request.operation);
    let element = if inner_xml.is_empty() {
        format!("<{name} xmlns=\"{}\"/>", xml::escape(&request.namespace))
    } else {
        format!(
            "<{name} xmlns=\"{}\">{inner_xml}</{name}>",
            xml::escape(&request.namespace)
        )
    };
    envelope(request.version, &element)
}

/// A fault envelope.
pub fn fault(version: SoapVersion, fault: &Fault) -> String {
    let detail = format!(
        "<ns1:{el} xmlns:ns1=\"{IPS_XSD}\"><ns1:code>{code}</ns1:code><ns1:reason>{reason}</ns1:reason></ns1:{el}>",
        el = fault.kind.element(),
        code = fault.code,
        reason = xml::escape_text(&fault.reason),
    );
    let body = match version {
        SoapVersion::V11 => format!(
            "<soapenv:Fault><faultcode>soapenv:{}</faultcode><faultstring>{}</faultstring><detail>{detail}</detail></soapenv:Fault>",
            if fault.is_client() {
                "Client"
            } else {
                "Server"
            },
            fault.kind.fault_string(),
        ),
        SoapVersion::V12 => format!(
            "<soapenv:Fault><soapenv:Code><soapenv:Value>soapenv:{}</soapenv:Value></soapenv:Code><soapenv:Reason><soapenv:Text xml:lang=\"en\">{}</soapenv:Text></soapenv:Reason><soapenv:Detail>{detail}</soapenv:Detail></soapenv:Fault>",
            if fault.is_client() {
                "Sender"
            } else {
                "Receiver"
            },
            fault.kind.fault_string(),
        ),
    };
    envelope(version, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Header>
    <authHeader xmlns="http://www.scene7.com/IpsApi/xsd">
      <user>api-user@example.com</user><password>secret</password>
      <appName>MyApp</appName><appVersion>1.0</appVersion>
    </authHeader>
  </soapenv:Header>
  <soapenv:Body>
    <createDerivedAssetParam xmlns="http://www.scene7.com/IpsApi/xsd/2008-01-15">
      <companyHandle>c|6</companyHandle>
      <name>ApiDerivedAsset</name>
      <urlModifier>crop=0,0,500,500&amp;op_sharpen=1</urlModifier>
    </createDerivedAssetParam>
  </soapenv:Body>
</soapenv:Envelope>"#;

    #[test]
    fn reads_the_seed_envelope() {
        let r = parse_request(SEED.as_bytes(), XmlLimits::default()).unwrap();
        assert_eq!(r.version, SoapVersion::V11);
        assert_eq!(r.operation, "createDerivedAsset");
        assert_eq!(r.namespace, "http://www.scene7.com/IpsApi/xsd/2008-01-15");
        assert_eq!(
            r.param.child_text("urlModifier"),
            Some("crop=0,0,500,500&op_sharpen=1")
        );
        let auth = r.auth.unwrap();
        assert_eq!(auth.user.as_deref(), Some("api-user@example.com"));
        assert_eq!(auth.password.as_deref(), Some("secret"));
    }

    #[test]
    fn namespaces_of_every_release_are_ips() {
        for ns in [
            "http://www.scene7.com/IpsApi/xsd",
            "http://www.scene7.com/IpsApi/xsd/2008-01-15",
            "http://www.scene7.com/IpsApi/xsd/2014-04-03",
            "http://www.scene7.com/IpsApi/xsd/2016-01-14-beta",
        ] {
            assert!(is_ips_namespace(ns), "{ns}");
        }
        for ns in [
            "http://www.scene7.com/IpsApi",
            "http://www.scene7.com/IpsApi/xsd/",
            "http://www.scene7.com/IpsApi/xsd/latest",
            "urn:x",
        ] {
            assert!(!is_ips_namespace(ns), "{ns}");
        }
    }

    #[test]
    fn faults_carry_the_documented_shape() {
        let f = fault(SoapVersion::V11, &Fault::no_permission("addCompany"));
        assert!(f.contains("<faultcode>soapenv:Client</faultcode>"));
        assert!(f.contains("<faultstring>AuthorizationException</faultstring>"));
        assert!(f.contains("<ns1:authorizationFault xmlns:ns1=\"http://www.scene7.com/IpsApi/xsd\"><ns1:code>20003</ns1:code>"));
        let f = fault(
            SoapVersion::V12,
            &Fault::exception("Asset ID 'x' is already in use."),
        );
        assert!(f.contains("soapenv:Receiver"));
    }

    #[test]
    fn not_soap_is_30003() {
        for body in [
            "<a/>",
            "junk",
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><x xmlns=\"urn:x\"/></soapenv:Body></soapenv:Envelope>",
        ] {
            let e = parse_request(body.as_bytes(), XmlLimits::default()).unwrap_err();
            assert_eq!(e.code, 30003, "{body}");
        }
    }
}
