/// The client certificate an Envoy forwards in `x-forwarded-client-cert` (XFCC).
///
/// Envoy's HTTP mode sends no `source.certificate` or `source.principal`; with
/// `forward_client_cert_details` and `set_current_client_cert_details` on its listener, and the
/// header in the ext_authz filter's `allowed_headers`, the same facts arrive in XFCC instead:
/// elements separated by `,` (one per proxy, the last one the client of the Envoy that asks),
/// each a `;`-separated list of `Key=Value` pairs, a value in double quotes when it holds `,`,
/// `;` or `=` (`\"` escapes a quote inside). `Cert` is the leaf as URL-encoded PEM, the very form
/// of gRPC mode's `source.certificate`, so the identity layer verifies it exactly like a
/// forwarded certificate; `URI`, `DNS` and `Subject` name it.
package struct ForwardedClientCertificate: Sendable, Hashable {
    /// The leaf, URL-encoded PEM (`Cert`).
    package var certificate: String?
    /// Its URI SAN (`URI`; a SPIFFE ID in a mesh).
    package var uri: String?
    /// Its DNS SAN (`DNS`).
    package var dns: String?
    /// Its subject (`Subject`).
    package var subject: String?

    /// The principal Envoy would name for the certificate: the URI SAN, else the DNS SAN, else the subject.
    package var principal: String? { self.uri ?? self.dns ?? self.subject }

    /// The last element of an XFCC header value (the client of the Envoy that asks), or `nil`
    /// when it has none of `Cert`, `URI`, `DNS`, `Subject`, or the value is malformed (an
    /// unterminated quote).
    package init?(header value: String) {
        guard let elements = Self.elements(of: value), let last = elements.last else { return nil }
        for (key, value) in last where !value.isEmpty {
            switch key.lowercased() {
            case "cert": self.certificate = self.certificate ?? value
            case "uri": self.uri = self.uri ?? value
            case "dns": self.dns = self.dns ?? value
            case "subject": self.subject = self.subject ?? value
            default: continue
            }
        }
        guard self.certificate != nil || self.principal != nil else { return nil }
    }

    /// Splits the header into elements of key/value pairs, honouring quotes; `nil` when a quote is not closed.
    static func elements(of value: String) -> [[(key: String, value: String)]]? {
        var elements: [[(key: String, value: String)]] = []
        var pairs: [(key: String, value: String)] = []
        var key = ""
        var current = ""
        var inKey = true
        var quoted = false
        var escaped = false
        func endPair() {
            let name = key.trimmingSpaces
            if !name.isEmpty { pairs.append((name, inKey ? "" : current)) }
            key = ""
            current = ""
            inKey = true
        }
        for character in value {
            if quoted {
                if escaped {
                    current.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    quoted = false
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case "\"" where !inKey: quoted = true
            case "=" where inKey: inKey = false
            case ";": endPair()
            case ",":
                endPair()
                elements.append(pairs)
                pairs = []
            default:
                if inKey { key.append(character) } else { current.append(character) }
            }
        }
        guard !quoted else { return nil }
        endPair()
        elements.append(pairs)
        return elements.filter { !$0.isEmpty }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (the optional whitespace around list elements).
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isSpace($0) }),
            let last = self.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
