package import GatehouseCore

/// Finds the bearer token in a request, looking only where the policy's issuers say tokens are.
package enum TokenExtractor {
    /// What the request holds.
    package enum Found: Equatable {
        /// No configured place holds a token.
        case none
        /// One token text, found in these places (the same text may come twice).
        case token(Substring, [TokenSource])
        /// A place holds the scheme but no token (`Authorization: Bearer`).
        case empty
        /// Two different tokens.
        case ambiguous
    }

    /// Looks in every place of `locations`, in order.
    package static func find(in request: AuthzRequest, locations: [TokenLocation]) -> Found {
        var token: Substring? = nil
        var sources: [TokenSource] = []
        var sawEmpty = false
        for location in locations {
            for candidate in self.values(at: location, in: request) {
                guard !candidate.isEmpty else {
                    sawEmpty = true
                    continue
                }
                if let token, !ASCII.equal(token, candidate) { return .ambiguous }
                token = candidate
                if !sources.contains(location.source) { sources.append(location.source) }
            }
        }
        if let token { return .token(token, sources) }
        return sawEmpty ? .empty : .none
    }

    /// The token texts at one place; an empty text means the scheme came without a token.
    private static func values(at location: TokenLocation, in request: AuthzRequest) -> [Substring] {
        switch location.source {
        case .header(let name):
            return (request.headers[name] ?? []).flatMap { self.credentials(inEach: $0, scheme: location.scheme) }
        case .cookie(let name):
            return (request.headers["cookie"] ?? []).flatMap { self.cookies(named: name, in: $0) }
        case .query(let name):
            return request.query.pairs.filter { ASCII.equal($0.name, name) }.map { Substring($0.value) }
        }
    }

    /// The tokens in one header value, which may be several headers joined.
    ///
    /// Envoy's `headers` map joins repeated headers with `,` (`Bearer a.b.c,Bearer d.e.f`), and
    /// neither a JWS nor any RFC 7235 token68 holds a comma, so each comma-separated part is read
    /// as a header of its own, as `header_map` would give them: two different tokens are then
    /// `token_ambiguous`, never one token of five segments.
    private static func credentials(inEach value: String, scheme: String?) -> [Substring] {
        guard value.utf8.contains(UInt8(ascii: ",")) else {
            return AuthorizationCredentials.credentials(in: value[...], scheme: scheme).map { [$0] } ?? []
        }
        return value.split(separator: ",").compactMap { part in
            // A blank part (`a.b.c, `) is the join of nothing, not a header sent empty.
            AuthorizationCredentials.trimmed(part).isEmpty
                ? nil : AuthorizationCredentials.credentials(in: part, scheme: scheme)
        }
    }

    /// The values of the cookie `name` in one `Cookie` header (RFC 6265 §4.2), quotes removed.
    package static func cookies(named name: String, in header: String) -> [Substring] {
        header.split(separator: ";").compactMap { pair in
            let pair = AuthorizationCredentials.trimmed(pair)
            guard let equals = pair.firstIndex(of: "="), ASCII.equal(pair[..<equals], name) else { return nil }
            var value = AuthorizationCredentials.trimmed(pair[pair.index(after: equals)...])
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            return value
        }
    }
}
