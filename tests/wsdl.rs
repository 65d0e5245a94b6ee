//! Checks on our own IPS WSDL (`src/ips/IpsApi-2013-02-15.wsdl`), the document
//! served at `GET /scene7/webservice/IpsApi-2013-02-15.wsdl`.
//!
//! The WSDL is parsed with quick-xml into a small namespace-resolved tree, then
//! checked for the things SOAP client generators rely on: it is well-formed,
//! each of the 16 operations we serve is in the portType and in both the SOAP
//! 1.1 and 1.2 bindings with `soapAction` = its name, and every element and type
//! that a message or a schema particle refers to is declared.
//!
//! Element shapes were checked against Adobe's public WSDL when the file was
//! written; that document is not in this repository, so this test only checks
//! our file for internal consistency and the names the protocol fixes.

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::{NsReader, XmlVersion};

const WSDL_TEXT: &str = include_str!("../src/ips/IpsApi-2013-02-15.wsdl");

const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
const SOAP11: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
const XSD: &str = "http://www.w3.org/2001/XMLSchema";
const TNS: &str = "http://www.scene7.com/IpsApi";
const TYPES: &str = "http://www.scene7.com/IpsApi/xsd/2013-02-15";
const HDR: &str = "http://www.scene7.com/IpsApi/xsd";
const HTTP_TRANSPORT: &str = "http://schemas.xmlsoap.org/soap/http";

const OPERATIONS: [&str; 16] = [
    "createDerivedAsset",
    "setUrlModifier",
    "deleteAsset",
    "deleteAssets",
    "getAssets",
    "getAssetsByName",
    "searchAssets",
    "getAssociatedAssets",
    "copyImage",
    "createTemplate",
    "addCompany",
    "getCompanyInfo",
    "createFolder",
    "getFolders",
    "addUser",
    "checkLogin",
];

const FAULTS: [&str; 3] = ["ipsApiFault", "authenticationFault", "authorizationFault"];

/// Attributes whose value is a QName, resolved against the namespaces in scope.
const QNAME_ATTRIBUTES: [&str; 5] = ["type", "element", "message", "binding", "base"];

/// An expanded name: (namespace URI, local name).
type ExpandedName = (String, String);

#[derive(Debug)]
struct Node {
    ns: String,
    local: String,
    /// Unprefixed attributes, by local name (namespace declarations left out).
    attrs: BTreeMap<String, String>,
    /// Values of [`QNAME_ATTRIBUTES`], resolved in the element's scope.
    qnames: BTreeMap<String, ExpandedName>,
    children: Vec<Node>,
}

impl Node {
    fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    fn name(&self) -> &str {
        self.attr("name").unwrap_or("")
    }

    fn qname(&self, attr: &str) -> Option<(&str, &str)> {
        self.qnames
            .get(attr)
            .map(|(ns, l)| (ns.as_str(), l.as_str()))
    }

    fn children<'a>(&'a self, ns: &str, local: &str) -> impl Iterator<Item = &'a Node> + use<'a> {
        let (ns, local) = (ns.to_owned(), local.to_owned());
        self.children.iter().filter(move |c| c.is(&ns, &local))
    }

    fn child(&self, ns: &str, local: &str) -> Option<&Node> {
        self.children(ns, local).next()
    }

    fn named(&self, ns: &str, local: &str, name: &str) -> Option<&Node> {
        self.children(ns, local).find(|c| c.name() == name)
    }

    fn descendants(&self) -> Vec<&Node> {
        let mut out = vec![self];
        let mut i = 0;
        while i < out.len() {
            let n = out[i];
            out.extend(n.children.iter());
            i += 1;
        }
        out
    }
}

fn namespace_of(r: ResolveResult<'_>) -> Result<String, String> {
    match r {
        ResolveResult::Bound(ns) => Ok(String::from_utf8_lossy(ns.into_inner()).into_owned()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => {
            Err(format!("unknown prefix {:?}", String::from_utf8_lossy(&p)))
        }
    }
}

fn node_from(reader: &NsReader<&[u8]>, ns: String, e: &BytesStart<'_>) -> Result<Node, String> {
    let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let mut attrs = BTreeMap::new();
    let mut qnames = BTreeMap::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("<{local}>: bad attribute: {err}"))?;
        let key = a.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let key_str = String::from_utf8_lossy(key.as_ref()).into_owned();
        let value = a
            .normalized_value(XmlVersion::Explicit1_0)
            .map_err(|err| format!("<{local} {key_str}>: {err}"))?
            .into_owned();
        if key.prefix().is_some() {
            continue; // no prefixed attributes are used in a WSDL 1.1 description
        }
        if QNAME_ATTRIBUTES.contains(&key_str.as_str()) {
            let q = QName(value.as_bytes());
            // An unprefixed QName value takes the default namespace (XML Schema rule).
            let resolved = reader.resolver().resolve_prefix(q.prefix(), true);
            let ns = namespace_of(resolved)
                .map_err(|err| format!("<{local} {key_str}={value:?}>: {err}"))?;
            let l = String::from_utf8_lossy(q.local_name().as_ref()).into_owned();
            qnames.insert(key_str.clone(), (ns, l));
        }
        attrs.insert(key_str, value);
    }
    Ok(Node {
        ns,
        local,
        attrs,
        qnames,
        children: Vec::new(),
    })
}

/// Parses the document into a tree; any well-formedness or namespace error is an `Err`.
fn parse(text: &str) -> Result<Node, String> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let pos = reader.buffer_position();
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("at byte {pos}: {e}"))?;
        let resolved = namespace_of(resolved).map_err(|e| format!("at byte {pos}: {e}"))?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                return Err(format!(
                    "at byte {pos}: content after the root element: <{:?}>",
                    e.name()
                ));
            }
            Event::Start(e) => {
                let node = node_from(&reader, resolved, &e)?;
                stack.push(node);
            }
            Event::Empty(e) => {
                let node = node_from(&reader, resolved, &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| format!("at byte {pos}: unmatched end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                let raw = t.into_inner();
                if stack.is_empty() && !raw.iter().all(u8::is_ascii_whitespace) {
                    return Err(format!("at byte {pos}: text outside the root element"));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!(
            "unclosed element <{}>",
            stack.last().unwrap().local
        ));
    }
    root.ok_or_else(|| "no root element".to_string())
}

fn wsdl() -> Node {
    parse(WSDL_TEXT).unwrap_or_else(|e| panic!("WSDL is not well-formed: {e}"))
}

struct Schemas<'a> {
    /// Global elements by expanded name.
    elements: BTreeMap<ExpandedName, &'a Node>,
    /// Global complex and simple types by expanded name.
    types: BTreeMap<ExpandedName, &'a Node>,
    /// `targetNamespace` of each schema, in document order.
    namespaces: Vec<String>,
}

fn schemas(root: &Node) -> Schemas<'_> {
    let types = root.child(WSDL, "types").expect("<types>");
    let mut out = Schemas {
        elements: BTreeMap::new(),
        types: BTreeMap::new(),
        namespaces: Vec::new(),
    };
    for schema in types.children(XSD, "schema") {
        let tns = schema
            .attr("targetNamespace")
            .expect("schema targetNamespace")
            .to_string();
        assert_eq!(
            schema.attr("elementFormDefault"),
            Some("qualified"),
            "schema {tns}"
        );
        for e in schema.children(XSD, "element") {
            let prev = out.elements.insert((tns.clone(), e.name().to_string()), e);
            assert!(
                prev.is_none(),
                "element {} declared twice in {tns}",
                e.name()
            );
        }
        for t in schema
            .children
            .iter()
            .filter(|c| c.is(XSD, "complexType") || c.is(XSD, "simpleType"))
        {
            let prev = out.types.insert((tns.clone(), t.name().to_string()), t);
            assert!(prev.is_none(), "type {} declared twice in {tns}", t.name());
        }
        out.namespaces.push(tns);
    }
    out
}

/// The element a message's single part refers to, and the part's name.
fn message_part<'a>(root: &'a Node, message: (&str, &str)) -> (&'a str, (&'a str, &'a str)) {
    assert_eq!(
        message.0, TNS,
        "message {message:?} outside the target namespace"
    );
    let m = root
        .named(WSDL, "message", message.1)
        .unwrap_or_else(|| panic!("message {} not declared", message.1));
    let parts: Vec<_> = m.children(WSDL, "part").collect();
    assert_eq!(
        parts.len(),
        1,
        "message {} has {} parts",
        message.1,
        parts.len()
    );
    let element = parts[0]
        .qname("element")
        .unwrap_or_else(|| panic!("message {} part has no element", message.1));
    (parts[0].name(), element)
}

fn expanded(q: (&str, &str)) -> ExpandedName {
    (q.0.to_string(), q.1.to_string())
}

#[test]
fn wsdl_is_well_formed_and_starts_with_our_comment() {
    let root = wsdl();
    assert!(
        root.is(WSDL, "definitions"),
        "root is <{}> in {:?}",
        root.local,
        root.ns
    );
    assert_eq!(root.attr("targetNamespace"), Some(TNS));

    let after_decl = WSDL_TEXT
        .trim_start()
        .strip_prefix("<?xml")
        .and_then(|s| s.split_once("?>"))
        .map(|(_, rest)| rest);
    let after_decl = after_decl.expect("XML declaration").trim_start();
    assert!(
        after_decl.starts_with("<!--"),
        "the document must start with its explanatory comment"
    );
    let comment = &after_decl[..after_decl.find("-->").expect("comment end")];
    assert!(comment.contains("Rendition"), "comment names the project");
    assert!(
        comment.contains("IpsApi-2013-02-15.wsdl"),
        "comment names Adobe's document"
    );

    // The parser must reject what it should: a sanity check on the checker itself.
    assert!(parse("<a><b></a>").is_err());
    assert!(parse("<a xmlns:x='u'><y:b/></a>").is_err());
    assert!(parse("<a/><b/>").is_err());
}

#[test]
fn schemas_are_the_versioned_types_then_the_unversioned_faults_and_header() {
    let root = wsdl();
    let s = schemas(&root);
    assert_eq!(s.namespaces, [TYPES, HDR]);
    for name in FAULTS {
        let e = s.elements.get(&(HDR.to_string(), name.to_string()));
        let e = e.unwrap_or_else(|| panic!("fault element {name} missing"));
        let seq = e
            .child(XSD, "complexType")
            .and_then(|c| c.child(XSD, "sequence"))
            .expect("fault sequence");
        let fields: Vec<_> = seq
            .children(XSD, "element")
            .map(|c| (c.name(), c.attr("type")))
            .collect();
        assert_eq!(
            fields,
            [("code", Some("xsd:int")), ("reason", Some("xsd:string"))],
            "{name}"
        );
    }
    let auth = s
        .elements
        .get(&(HDR.to_string(), "authHeader".to_string()))
        .expect("authHeader");
    let all = auth
        .child(XSD, "complexType")
        .and_then(|c| c.child(XSD, "all"))
        .expect("authHeader is xsd:all");
    let fields: BTreeSet<_> = all.children(XSD, "element").map(|c| c.name()).collect();
    for f in [
        "user",
        "password",
        "locale",
        "appName",
        "appVersion",
        "gzipResponse",
        "faultHttpStatusCode",
    ] {
        assert!(fields.contains(f), "authHeader/{f}");
    }
    assert!(
        all.children(XSD, "element")
            .all(|c| c.attr("minOccurs") == Some("0")),
        "authHeader fields are optional"
    );
}

#[test]
fn every_operation_is_in_the_port_type_with_its_messages_and_faults() {
    let root = wsdl();
    let port_types: Vec<_> = root.children(WSDL, "portType").collect();
    assert_eq!(port_types.len(), 1);
    let pt = port_types[0];
    assert_eq!(pt.name(), "IpsApiPortType");

    let declared: BTreeSet<_> = pt.children(WSDL, "operation").map(Node::name).collect();
    assert_eq!(declared, BTreeSet::from(OPERATIONS), "portType operations");

    for op in OPERATIONS {
        let o = pt.named(WSDL, "operation", op).unwrap();
        let input = o
            .child(WSDL, "input")
            .unwrap_or_else(|| panic!("{op}: no input"));
        let output = o
            .child(WSDL, "output")
            .unwrap_or_else(|| panic!("{op}: no output"));
        assert_eq!(input.name(), op);
        assert_eq!(output.name(), format!("{op}Response"));
        assert_eq!(input.qname("message"), Some((TNS, op)));
        assert_eq!(
            output.qname("message"),
            Some((TNS, format!("{op}Response").as_str()))
        );

        let (part, element) = message_part(&root, input.qname("message").unwrap());
        assert_eq!(
            (part, element),
            ("input", (TYPES, format!("{op}Param").as_str())),
            "{op} input"
        );
        let (part, element) = message_part(&root, output.qname("message").unwrap());
        assert_eq!(
            (part, element),
            ("output", (TYPES, format!("{op}Return").as_str())),
            "{op} output"
        );

        let faults: Vec<_> = o.children(WSDL, "fault").collect();
        assert_eq!(
            faults.iter().map(|f| f.name()).collect::<Vec<_>>(),
            FAULTS,
            "{op} faults"
        );
        for f in faults {
            let (part, element) = message_part(&root, f.qname("message").unwrap());
            assert_eq!(
                (part, element),
                ("fault", (HDR, f.name())),
                "{op} fault {}",
                f.name()
            );
        }
    }
}

#[test]
fn both_bindings_carry_every_operation_with_soap_action_and_auth_header() {
    let root = wsdl();
    let bindings: Vec<_> = root.children(WSDL, "binding").collect();
    assert_eq!(bindings.len(), 2);
    for (name, soap) in [
        ("IpsApiServiceSoapBinding", SOAP11),
        ("IpsApiServiceSoap12Binding", SOAP12),
    ] {
        let b = root
            .named(WSDL, "binding", name)
            .unwrap_or_else(|| panic!("binding {name} missing"));
        assert_eq!(
            b.qname("type"),
            Some((TNS, "IpsApiPortType")),
            "{name} type"
        );
        let sb = b
            .child(soap, "binding")
            .unwrap_or_else(|| panic!("{name}: no soap binding element"));
        assert_eq!(sb.attr("style"), Some("document"), "{name} style");
        assert_eq!(
            sb.attr("transport"),
            Some(HTTP_TRANSPORT),
            "{name} transport"
        );

        let declared: BTreeSet<_> = b.children(WSDL, "operation").map(Node::name).collect();
        assert_eq!(declared, BTreeSet::from(OPERATIONS), "{name} operations");

        for op in OPERATIONS {
            let o = b.named(WSDL, "operation", op).unwrap();
            let so = o
                .child(soap, "operation")
                .unwrap_or_else(|| panic!("{name}/{op}: no soap operation"));
            assert_eq!(so.attr("soapAction"), Some(op), "{name}/{op} soapAction");
            if let Some(style) = so.attr("style") {
                assert_eq!(style, "document", "{name}/{op} style");
            }

            let input = o
                .child(WSDL, "input")
                .unwrap_or_else(|| panic!("{name}/{op}: no input"));
            assert_eq!(input.name(), op);
            let body = input
                .child(soap, "body")
                .unwrap_or_else(|| panic!("{name}/{op}: no input body"));
            assert_eq!(body.attr("use"), Some("literal"), "{name}/{op} input use");
            let header = input
                .child(soap, "header")
                .unwrap_or_else(|| panic!("{name}/{op}: no authHeader header"));
            assert_eq!(header.qname("message"), Some((TNS, "authHeader")));
            assert_eq!(header.attr("part"), Some("authHeader"));
            assert_eq!(header.attr("use"), Some("literal"));
            assert_eq!(
                message_part(&root, (TNS, "authHeader")),
                ("authHeader", (HDR, "authHeader"))
            );

            let output = o
                .child(WSDL, "output")
                .unwrap_or_else(|| panic!("{name}/{op}: no output"));
            assert_eq!(output.name(), format!("{op}Response"));
            let body = output
                .child(soap, "body")
                .unwrap_or_else(|| panic!("{name}/{op}: no output body"));
            assert_eq!(body.attr("use"), Some("literal"), "{name}/{op} output use");

            let faults: Vec<_> = o.children(WSDL, "fault").map(Node::name).collect();
            assert_eq!(faults, FAULTS, "{name}/{op} faults");
            for f in o.children(WSDL, "fault") {
                let sf = f
                    .child(soap, "fault")
                    .unwrap_or_else(|| panic!("{name}/{op}/{}: no soap fault", f.name()));
                assert_eq!(sf.attr("use"), Some("literal"));
                assert_eq!(
                    sf.attr("name"),
                    Some(f.name()),
                    "{name}/{op} soap:fault name"
                );
            }
        }
    }
}

#[test]
fn the_service_has_a_port_per_binding() {
    let root = wsdl();
    let service = root
        .named(WSDL, "service", "IpsApiService")
        .expect("service IpsApiService");
    for (port, binding, soap) in [
        ("IpsApiSoapPort", "IpsApiServiceSoapBinding", SOAP11),
        ("IpsApiSoap12Port", "IpsApiServiceSoap12Binding", SOAP12),
    ] {
        let p = service
            .named(WSDL, "port", port)
            .unwrap_or_else(|| panic!("port {port}"));
        assert_eq!(p.qname("binding"), Some((TNS, binding)));
        let address = p
            .child(soap, "address")
            .and_then(|a| a.attr("location"))
            .expect("address location");
        assert!(
            address.ends_with("/scene7/services/IpsApiService"),
            "{port}: {address}"
        );
    }
}

#[test]
fn every_referenced_element_and_type_is_declared() {
    let root = wsdl();
    let s = schemas(&root);

    // Every Param/Return of the 16 operations.
    for op in OPERATIONS {
        for suffix in ["Param", "Return"] {
            let key = (TYPES.to_string(), format!("{op}{suffix}"));
            assert!(
                s.elements.contains_key(&key),
                "element {op}{suffix} missing from the schema"
            );
        }
    }

    // Every message part.
    for m in root.children(WSDL, "message") {
        for p in m.children(WSDL, "part") {
            let e = p
                .qname("element")
                .unwrap_or_else(|| panic!("message {} part without element", m.name()));
            assert!(
                s.elements.contains_key(&expanded(e)),
                "message {} refers to undeclared {e:?}",
                m.name()
            );
        }
    }

    // Every `type=`/`base=` inside the schemas: a built-in XSD type or one of ours.
    let types = root.child(WSDL, "types").unwrap();
    let mut used = BTreeSet::new();
    for n in types.descendants() {
        for attr in ["type", "base"] {
            if let Some(q) = n.qname(attr) {
                if q.0 == XSD {
                    continue;
                }
                assert!(
                    s.types.contains_key(&expanded(q)),
                    "<{} name={:?}> refers to undeclared type {q:?}",
                    n.local,
                    n.name()
                );
                used.insert(expanded(q));
            }
        }
        if n.is(XSD, "element") && n.attr("ref").is_some() {
            panic!("element refs are not used in this WSDL");
        }
    }
    // And nothing declared is dead weight.
    for t in s.types.keys() {
        assert!(used.contains(t), "type {} is declared but never used", t.1);
    }
}

#[test]
fn asset_is_an_all_optional_sequence_with_the_fields_we_fill() {
    let root = wsdl();
    let s = schemas(&root);
    let asset = s
        .types
        .get(&(TYPES.to_string(), "Asset".to_string()))
        .expect("Asset");
    let seq = asset.child(XSD, "sequence").expect("Asset sequence");
    let fields: Vec<_> = seq.children(XSD, "element").collect();
    assert!(
        fields.iter().all(|f| f.attr("minOccurs") == Some("0")),
        "every Asset field is optional"
    );
    let names: Vec<_> = fields.iter().map(|f| f.name()).collect();
    // The fields the server fills, in the order Adobe's schema fixes.
    let expected = [
        "assetHandle",
        "type",
        "subType",
        "name",
        "fileName",
        "folder",
        "folderHandle",
        "created",
        "createUser",
        "lastModified",
        "lastModifyUser",
        "imageInfo",
        "layerViewInfo",
        "templateInfo",
        "watermarkInfo",
    ];
    let mut it = names.iter();
    for e in expected {
        assert!(
            it.any(|n| *n == e),
            "Asset/{e} missing or out of order in {names:?}"
        );
    }
}
