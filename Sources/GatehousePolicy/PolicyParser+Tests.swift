import GatehouseCore

extension PolicyParser {
    mutating func tests(_ node: YAMLNode) -> [PolicyTestCase] {
        guard let entries = self.reader.mapping(node, allowed: ["kind", "tests"], what: "A PolicyTests document"),
            let testsNode = self.reader.require("tests", in: entries, of: node, what: "A PolicyTests document"),
            let items = self.reader.list(testsNode, what: "tests")
        else { return [] }
        return items.compactMap { self.testCase($0) }
    }

    private mutating func testCase(_ node: YAMLNode) -> PolicyTestCase? {
        guard
            let entries = self.reader.mapping(
                node, allowed: ["name", "request", "identity", "expect"], what: "A test"),
            let nameNode = self.reader.require("name", in: entries, of: node, what: "A test"),
            let name = self.reader.string(nameNode, what: "The test name"),
            let expectNode = self.reader.require("expect", in: entries, of: node, what: "Test '\(name)'"),
            let expectation = self.expectation(expectNode, test: name)
        else { return nil }
        let request = entries["request"].flatMap { self.request($0) } ?? AuthzRequest()
        let identity = entries["identity"].flatMap { self.identity($0) } ?? Identity()
        return PolicyTestCase(
            name: Located(name, at: nameNode.location), request: request, identity: identity,
            expectation: expectation, location: node.location)
    }

    private mutating func request(_ node: YAMLNode) -> AuthzRequest? {
        let keys = [
            "method", "path", "host", "scheme", "headers", "contextExtensions", "sourceAddress", "dotSegments",
            "properties",
        ]
        guard let entries = self.reader.mapping(node, allowed: keys, what: "A test request") else { return nil }
        func text(_ key: String, _ fallback: String) -> String {
            entries[key].flatMap { self.reader.string($0, what: key) } ?? fallback
        }
        var headers: [(String, String)] = []
        if let node = entries["headers"] { headers = self.stringPairs(node, what: "request.headers") }
        var extensions: [String: String] = [:]
        if let node = entries["contextExtensions"] {
            for (key, value) in self.stringPairs(node, what: "request.contextExtensions") { extensions[key] = value }
        }
        var source = Peer()
        if let node = entries["sourceAddress"], let address = self.reader.string(node, what: "sourceAddress") {
            source.address = IPAddress(address)
            if source.address == nil {
                self.reader.diagnostics.error(
                    .invalidValue, "The source address '\(address)' is not an IP address.", at: node.location)
            }
        }
        var paths = PathNormalizer.Configuration.defaults
        if let node = entries["dotSegments"] { paths.dotSegments = self.dotSegments(node) ?? paths.dotSegments }
        var request = AuthzRequest(
            method: text("method", "GET"), path: text("path", "/"), host: text("host", ""),
            scheme: text("scheme", "https"),
            headers: headers, source: source, contextExtensions: extensions, paths: paths)
        if let node = entries["properties"] { request.properties = self.properties(node) }
        return request
    }

    /// `properties: {subject: {department: finance}, resource: {…}, action: {…}}`: what an AuthZEN
    /// evaluator would send with each entity.
    private mutating func properties(_ node: YAMLNode) -> EntityProperties {
        let names = PropertyEntity.allCases.map(\.rawValue)
        guard let entries = self.reader.mapping(node, allowed: names, what: "request.properties") else {
            return EntityProperties()
        }
        var objects: [PropertyEntity: [String: ClaimValue]] = [:]
        for (name, value) in entries {
            guard let entity = PropertyEntity(rawValue: name) else { continue }
            guard case .object(let members)? = self.reader.claimValue(value, what: "request.properties.\(name)")
            else {
                self.reader.diagnostics.error(
                    .typeError, "request.properties.\(name) must be a mapping of property name to value.",
                    at: value.location)
                continue
            }
            objects[entity] = members
        }
        return EntityProperties(objects)
    }

    /// The server setting `paths.dotSegments` a case is decided under: `reject` (the default) or `normalize`.
    private mutating func dotSegments(_ node: YAMLNode) -> PathNormalizer.DotSegments? {
        guard let text = self.reader.string(node, what: "request.dotSegments") else { return nil }
        guard let value = PathNormalizer.DotSegments(rawValue: text) else {
            let names = PathNormalizer.DotSegments.allCases.map(\.rawValue).joined(separator: " or ")
            self.reader.diagnostics.error(
                .invalidValue,
                "request.dotSegments is '\(text)'; write \(names), as the server's paths.dotSegments setting.",
                at: node.location)
            return nil
        }
        return value
    }

    private mutating func identity(_ node: YAMLNode) -> Identity? {
        let keys = ["jwt", "spiffe", "xroad", "invalidToken", "invalidCertificate"]
        guard let entries = self.reader.mapping(node, allowed: keys, what: "A test identity") else { return nil }
        var identity = Identity()
        if let jwt = entries["jwt"], let payload = self.reader.claimValue(jwt, what: "identity.jwt") {
            guard case .object(let claims) = payload, case .string(let issuer)? = claims["iss"] else {
                self.reader.diagnostics.error(
                    .invalidValue, "identity.jwt must be the token payload: a mapping with at least 'iss'.",
                    at: jwt.location)
                return nil
            }
            var subject: String? = nil
            if case .string(let sub)? = claims["sub"] { subject = sub }
            identity.token = VerifiedToken(issuer: issuer, subject: subject, claims: payload)
        }
        var peer = PeerIdentity()
        if let node = entries["spiffe"] { peer.spiffeID = self.reader.string(node, what: "identity.spiffe") }
        if let node = entries["xroad"], let text = self.reader.string(node, what: "identity.xroad") {
            peer.xroadClient = XRoadClientID(text)
            if peer.xroadClient == nil {
                self.reader.diagnostics.error(
                    .invalidValue, "The X-Road client '\(text)' must be INSTANCE/CLASS/CODE[/SUBSYSTEM].",
                    at: node.location)
            }
        }
        if peer.spiffeID != nil || peer.xroadClient != nil { identity.peer = peer }
        if let node = entries["invalidToken"], let why = self.reader.string(node, what: "identity.invalidToken") {
            identity.credentialFailure = CredentialFailure(kind: .token, reason: .invalidToken, description: why)
        }
        if let node = entries["invalidCertificate"],
            let why = self.reader.string(node, what: "identity.invalidCertificate")
        {
            identity.credentialFailure = CredentialFailure(
                kind: .clientCertificate, reason: .invalidClientCertificate, description: why)
        }
        return identity
    }

    private mutating func expectation(_ node: YAMLNode, test: String) -> PolicyTestCase.Expectation? {
        let keys = [
            "decision", "status", "reason", "policy", "rule", "headers", "removedHeaders", "shadowRules", "body",
        ]
        guard let entries = self.reader.mapping(node, allowed: keys, what: "Test '\(test)' expect"),
            let decisionNode = self.reader.require("decision", in: entries, of: node, what: "Test '\(test)' expect"),
            let decisionText = self.reader.string(decisionNode, what: "expect.decision")
        else { return nil }
        guard let outcome = Decision.Outcome(rawValue: decisionText) else {
            self.reader.diagnostics.error(
                .invalidValue, "expect.decision is '\(decisionText)'; write 'allow' or 'deny'.",
                at: decisionNode.location)
            return nil
        }
        func text(_ key: String) -> String? { entries[key].flatMap { self.reader.string($0, what: "expect.\(key)") } }
        var expectation = PolicyTestCase.Expectation(
            outcome: outcome, status: nil, reason: text("reason"), policy: text("policy"), rule: text("rule"),
            headers: [], removedHeaders: [], shadowRules: nil, body: text("body"))
        if let node = entries["status"], let status = self.reader.integer(node, in: 100...599, what: "expect.status") {
            expectation.status = UInt16(status)
        }
        if let node = entries["headers"] {
            expectation.headers = self.stringPairs(node, what: "expect.headers").map { (ASCII.lowercased($0.0), $0.1) }
        }
        if let node = entries["removedHeaders"],
            let items = self.reader.list(node, what: "expect.removedHeaders", scalarAllowed: true)
        {
            expectation.removedHeaders = items.compactMap {
                self.reader.string($0, what: "removedHeaders").map(ASCII.lowercased)
            }
        }
        if let node = entries["shadowRules"],
            let items = self.reader.list(node, what: "expect.shadowRules", scalarAllowed: true)
        {
            expectation.shadowRules = items.compactMap { self.reader.string($0, what: "shadowRules") }
        }
        return expectation
    }

    private mutating func stringPairs(_ node: YAMLNode, what: String) -> [(String, String)] {
        guard case .mapping(let pairs) = node.content else {
            self.reader.diagnostics.error(
                .typeError, "\(what) must be a mapping, not \(node.typeName).", at: node.location)
            return []
        }
        var result: [(String, String)] = []
        for (key, value) in pairs {
            guard let name = self.reader.string(key, what: "A key of \(what)") else { continue }
            if case .sequence(let items) = value.content {
                for item in items {
                    if let text = self.reader.string(item, what: "A value of \(what)") { result.append((name, text)) }
                }
            } else if let text = self.reader.string(value, what: "A value of \(what)") {
                result.append((name, text))
            }
        }
        return result
    }
}
