/// A compiled rule condition, checked at a decision-tree leaf.
///
/// Methods and paths are mostly decided by the tree's shape (method buckets, path trie);
/// what remains here is evaluated per candidate rule without parsing or allocating.
/// Within one condition the listed values are alternatives (any may match); a rule's
/// conditions must all hold.
package enum Condition: Sendable, Hashable {
    /// The method is (or, negated, is not) one of these; only needed for non-standard methods.
    case methods([String], negated: Bool)
    /// The path matches (or, negated, matches none of) these patterns.
    case paths([PathPattern], negated: Bool)
    /// The host matches (or, negated, matches none of) these patterns.
    case hosts([HostPattern], negated: Bool)
    /// A header condition.
    case header(name: String, HeaderMatch)
    /// The verified peer identity matches (or, negated, matches none of) these patterns.
    case principals([PrincipalPattern], negated: Bool)
    /// The source address lies in (or, negated, outside) these blocks.
    case sourceCIDRs([CIDR], negated: Bool)
    /// A claim condition on the verified token.
    case claim(path: [String], ClaimMatch)
    /// The caller presented a verified credential (or, when `false`, did not).
    case authenticated(Bool)
    /// A condition on a property an AuthZEN caller sent with the subject, resource or action.
    case property(PropertyEntity, path: [String], ClaimMatch)

    /// Whether the condition holds.
    ///
    /// - Parameter forDeny: Whether the rule denies. An attribute Envoy did not report (a source
    ///   address over a Unix socket) satisfies a deny rule's condition and never an allow rule's:
    ///   what cannot be known fails closed.
    @inline(__always)
    package func isSatisfied(request: AuthzRequest, identity: Identity, forDeny: Bool) -> Bool {
        switch self {
        case .methods(let methods, let negated):
            return methods.contains { ASCII.equal($0, request.method.rawValue) } != negated
        case .paths(let patterns, let negated):
            return patterns.contains { $0.matches(request.path) } != negated
        case .hosts(let patterns, let negated):
            return patterns.contains { $0.matches(request.host) } != negated
        case .header(let name, let match):
            return match.matches(request.headers[name])
        case .principals(let patterns, let negated):
            guard let peer = identity.peer else { return negated }
            return patterns.contains { $0.matches(peer) } != negated
        case .sourceCIDRs(let blocks, let negated):
            guard let address = request.source.address else { return forDeny }
            return blocks.contains { $0.contains(address) } != negated
        case .claim(let path, let match):
            return match.matches(identity.token?.claims.value(at: path))
        case .authenticated(let expected):
            return identity.isAuthenticated == expected
        case .property(let entity, let path, let match):
            return match.matches(request.properties.value(of: entity, at: path))
        }
    }

    /// The request attributes this condition reads.
    package var attributes: [RequestAttribute] {
        switch self {
        case .methods: return [.method]
        case .paths: return [.path]
        case .hosts: return [.host]
        case .header(let name, _): return [.header(name)]
        case .principals: return [.peerIdentity]
        case .sourceCIDRs: return [.sourceAddress]
        case .claim(let path, _): return [.tokenClaim(path.joined(separator: "."))]
        case .authenticated: return [.authenticated]
        case .property(let entity, let path, _): return [.property(entity, path)]
        }
    }
}

/// How a header condition matches the values sent under one name.
package enum HeaderMatch: Sendable, Hashable, CustomStringConvertible {
    /// Some value equals this, byte for byte.
    case equals(String)
    /// Some value starts with this.
    case prefix(String)
    /// The header is present.
    case present
    /// The header is absent.
    case absent

    func matches(_ values: [String]?) -> Bool {
        switch self {
        case .equals(let expected): return values?.contains { ASCII.equal($0, expected) } ?? false
        case .prefix(let prefix): return values?.contains { ASCII.hasPrefix($0, prefix) } ?? false
        case .present: return values != nil
        case .absent: return values == nil
        }
    }

    package var description: String {
        switch self {
        case .equals(let value): return "equals '\(value)'"
        case .prefix(let value): return "starts with '\(value)'"
        case .present: return "is present"
        case .absent: return "is absent"
        }
    }
}

/// How a claim condition matches the claim's value.
package enum ClaimMatch: Sendable, Hashable, CustomStringConvertible {
    /// The claim equals this value.
    case equals(ClaimValue)
    /// The claim equals one of these.
    case oneOf([ClaimValue])
    /// The claim is an array with an element equal to this, or a single value equal to it
    /// (issuers send a one-role `roles` claim as a string as often as an array).
    case contains(ClaimValue)
    /// The claim is present (`true`) or absent (`false`).
    case exists(Bool)

    func matches(_ value: ClaimValue?) -> Bool {
        switch self {
        case .equals(let expected): return value.map { $0.isEqual(to: expected) } ?? false
        case .oneOf(let options): return value.map { value in options.contains { value.isEqual(to: $0) } } ?? false
        case .contains(let element):
            switch value {
            case .array(let items)?: return items.contains { $0.isEqual(to: element) }
            case .object?, .null?, nil: return false
            case let scalar?: return scalar.isEqual(to: element)
            }
        case .exists(let expected): return (value != nil) == expected
        }
    }

    package var description: String {
        switch self {
        case .equals(let value): return "equals \(value.displayText)"
        case .oneOf(let values): return "in [\(values.map(\.displayText).joined(separator: ", "))]"
        case .contains(let value): return "contains \(value.displayText)"
        case .exists(let flag): return flag ? "exists" : "does not exist"
        }
    }
}

extension ClaimValue {
    /// The value as it would be written in a policy, for explanations.
    package var displayText: String {
        switch self {
        case .string(let text): return "'\(text)'"
        case .null: return "null"
        case .object: return "{…}"
        case .array(let items): return "[\(items.map(\.displayText).joined(separator: ", "))]"
        default: return self.headerText ?? "?"
        }
    }
}

extension Condition: CustomStringConvertible {
    package var description: String {
        func list(_ items: [some CustomStringConvertible]) -> String {
            items.map { "'\($0)'" }.joined(separator: ", ")
        }
        switch self {
        case .methods(let methods, let negated): return "method \(negated ? "not " : "")in [\(list(methods))]"
        case .paths(let patterns, let negated):
            return "path \(negated ? "matches none of" : "matches one of") [\(list(patterns))]"
        case .hosts(let patterns, let negated):
            return "host \(negated ? "matches none of" : "matches one of") [\(list(patterns))]"
        case .header(let name, let match): return "header '\(name)' \(match)"
        case .principals(let patterns, let negated):
            return "source identity \(negated ? "matches none of" : "matches one of") [\(list(patterns))]"
        case .sourceCIDRs(let blocks, let negated): return "source address \(negated ? "not " : "")in [\(list(blocks))]"
        case .claim(let path, let match): return "claim '\(path.joined(separator: "."))' \(match)"
        case .property(let entity, let path, let match):
            return "\(entity.rawValue).properties.\(path.joined(separator: ".")) \(match)"
        case .authenticated(let flag): return flag ? "caller is authenticated" : "caller is not authenticated"
        }
    }
}
