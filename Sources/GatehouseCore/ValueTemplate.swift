/// A header or query value with `${…}` placeholders filled from the verified identity and the request.
///
/// Placeholders are resolved at compile time into ``TemplateAttribute``s; rendering walks the
/// parts and never parses. A template that names a value the request does not have renders to
/// `nil`, and the header it belongs to is left out rather than sent empty. A rendered value
/// containing CR, LF or NUL is refused the same way, so a claim can never inject a header.
package struct ValueTemplate: Sendable, Hashable {
    /// One piece of a template.
    package enum Part: Sendable, Hashable {
        /// Text copied as written.
        case literal(String)
        /// A value looked up per request.
        case attribute(TemplateAttribute)
    }

    /// The parts, in order.
    package let parts: [Part]
    /// The template as written in the policy.
    package let source: String

    package init(parts: [Part], source: String) {
        self.parts = parts
        self.source = source
    }

    /// A template without placeholders.
    package init(literal: String) {
        self.init(parts: [.literal(literal)], source: literal)
    }

    /// The text when the template has no placeholders.
    package var literalValue: String? {
        if self.parts.isEmpty { return "" }
        guard self.parts.count == 1, case .literal(let text) = self.parts[0] else { return nil }
        return text
    }

    /// The rendered value, or `nil` when a placeholder has no value or the result is unsafe in a header.
    package func render(request: AuthzRequest, identity: Identity) -> String? {
        if let literal = self.literalValue { return literal }
        var output = ""
        for part in self.parts {
            switch part {
            case .literal(let text): output += text
            case .attribute(let attribute):
                guard let value = attribute.value(request: request, identity: identity) else { return nil }
                output += value
            }
        }
        let unsafe = output.utf8.contains { $0 == 0 || $0 == 10 || $0 == 13 }
        return unsafe ? nil : output
    }
}

/// A value a template can name.
package enum TemplateAttribute: Sendable, Hashable {
    /// `${jwt.sub}`
    case tokenSubject
    /// `${jwt.iss}`
    case tokenIssuer
    /// `${jwt.claims.PATH}`, the path split at dots.
    case tokenClaim([String])
    /// `${source.spiffe}`
    case sourceSPIFFE
    /// `${source.xroad}`
    case sourceXRoad
    /// `${source.address}`
    case sourceAddress
    /// `${subject}`: the token subject, else the SPIFFE ID, else the X-Road client.
    case subject
    /// `${request.host}`
    case requestHost
    /// `${request.method}`
    case requestMethod
    /// `${request.path}`
    case requestPath
    /// `${request.id}`
    case requestID
    /// `${context.KEY}`: an Envoy context extension.
    case contextExtension(String)

    /// Every placeholder name, for error messages.
    package static let vocabulary = [
        "jwt.sub", "jwt.iss", "jwt.claims.<path>", "source.spiffe", "source.xroad", "source.address", "subject",
        "request.host", "request.method", "request.path", "request.id", "context.<key>",
    ]

    /// Resolves a placeholder name such as `jwt.claims.realm_access.roles`; `nil` when unknown.
    package init?(name: String) {
        switch name {
        case "jwt.sub": self = .tokenSubject
        case "jwt.iss": self = .tokenIssuer
        case "source.spiffe": self = .sourceSPIFFE
        case "source.xroad": self = .sourceXRoad
        case "source.address": self = .sourceAddress
        case "subject": self = .subject
        case "request.host": self = .requestHost
        case "request.method": self = .requestMethod
        case "request.path": self = .requestPath
        case "request.id": self = .requestID
        default:
            if name.hasPrefix("jwt.claims."), let path = ClaimPath(String(name.dropFirst("jwt.claims.".count))) {
                self = .tokenClaim(path.components)
            } else if name.hasPrefix("context."), name.count > "context.".count {
                self = .contextExtension(String(name.dropFirst("context.".count)))
            } else {
                return nil
            }
        }
    }

    /// The request attribute this placeholder reads.
    package var requestAttribute: RequestAttribute {
        switch self {
        case .tokenSubject: return .tokenSubject
        case .tokenIssuer: return .tokenIssuer
        case .tokenClaim(let path): return .tokenClaim(path.joined(separator: "."))
        case .sourceSPIFFE, .sourceXRoad: return .peerIdentity
        case .sourceAddress: return .sourceAddress
        case .subject: return .subject
        case .requestHost: return .host
        case .requestMethod: return .method
        case .requestPath: return .path
        case .requestID: return .requestID
        case .contextExtension(let key): return .contextExtension(key)
        }
    }

    func value(request: AuthzRequest, identity: Identity) -> String? {
        switch self {
        case .tokenSubject: return identity.token?.subject
        case .tokenIssuer: return identity.token?.issuer
        case .tokenClaim(let path): return identity.token?.claims.value(at: path)?.headerText
        case .sourceSPIFFE: return identity.peer?.spiffeID
        case .sourceXRoad: return identity.peer?.xroadClient?.description
        case .sourceAddress: return request.source.address?.description
        case .subject: return identity.subject
        case .requestHost: return request.host
        case .requestMethod: return request.method.rawValue
        case .requestPath: return request.path
        case .requestID: return request.id
        case .contextExtension(let key): return request.contextExtensions[key]
        }
    }
}

/// A dotted path into a token's claims, e.g. `realm_access.roles`.
package struct ClaimPath: Hashable, Sendable, CustomStringConvertible {
    /// The keys, outermost first.
    package let components: [String]

    /// Splits at dots; `nil` when any component is empty.
    package init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.components = parts
    }

    package var description: String { self.components.joined(separator: ".") }
}
